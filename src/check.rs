//! `preflight check`: gathers the environment, runs every check family, and assembles the one
//! report every format renders. A check that cannot complete marks the run unverified and the
//! others still run (ripgrep's "an error in one place changes the exit status" rule).
//!
//! [`check_with_progress`] is the list of stages; each stage is a function below with one
//! calling convention: the run's context ([`Run`]) in, findings, unverified checks and notes
//! out through one [`Sink`]. Order matters: SSM references are resolved first (their values
//! may themselves be AMI ids), then the schema validates the resolved values, then the
//! resources they name are looked up live.

use crate::rules::Family;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::checks::secretsmanager::SecretUse;
use crate::checks::{self, LiveCtx, Sink};
use crate::cloud::Cloud;
use crate::cloud::aws::{AwsCloud, Timeouts};
use crate::config::{Config, Environment, SourceEntry};
use crate::diag::ToolError;
use crate::env::reference::{self, Part};
use crate::env::{EnvSet, Origin};
use crate::fingerprint;
use crate::live::{self, ParameterAnswers, Plan, Progress, SecretAnswers};
use crate::report::{Checked, Report};
use crate::schema::{AwsKind, EnvSchema};
use crate::secrets::SecretSet;

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

/// What every stage reads: the configuration, the environment, the options, and the cloud
/// (none offline, or once the account could not be trusted).
pub struct Run<'a, C: Cloud> {
    pub cfg: &'a Config,
    pub env: &'a Environment,
    pub schema: &'a EnvSchema,
    pub opts: &'a Options,
    pub region: &'a str,
    pub deadline: Instant,
    pub progress: &'a Progress,
    pub cloud: Option<&'a C>,
    /// The account the credentials act in, once asked.
    pub account: Option<String>,
    /// Why lookups are not made: `--offline`, or the identity stage's reason.
    pub offline_word: &'static str,
}

/// The environment as gathered from its sources and resolved.
#[derive(Debug, Default)]
pub struct Gathered {
    pub set: EnvSet,
    /// A source could not be read: missing variables are not reported as missing.
    pub incomplete: bool,
    /// Variables whose value is secret and unknown (SecureStrings, secrets, `valueFrom`s).
    pub hidden: BTreeSet<String>,
    pub params: ParameterAnswers,
    pub secrets: SecretAnswers,
    /// Every secret the environment names (references, `secretsmanager:secret` values,
    /// `valueFrom`s).
    pub secret_uses: Vec<SecretUse>,
    /// (variable, SSM parameter name as asked) for every parameter named by name.
    pub parameter_uses: Vec<(String, String)>,
    /// Resources named by the launch template versions groups and templates launch, under the
    /// variable that names the group or template.
    pub derived: Vec<(String, AwsKind, String)>,
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

/// The stages of `check`, in order (docs/architecture.md).
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
    let margin = (opts.timeout / 20).min(Duration::from_millis(500));
    let deadline = Instant::now() + opts.timeout.saturating_sub(margin);
    let region = env.region.get_ref().as_str();
    let mut run = Run { cfg, env, schema, opts, region, deadline, progress, cloud, account: None, offline_word: "--offline" };
    let mut sink = Sink::default();

    // 0. identity, asked before anything is read from the cloud.
    let early = identity_first(env);
    if early {
        identity(&mut run, &mut sink).await;
    }
    // 1. sources, layered in order.
    let mut g = gather(&run, &mut sink).await?;
    if !early && run.cloud.is_some() && needs_cloud(&run, &g.set) {
        identity(&mut run, &mut sink).await;
    } else if !early {
        run.cloud = None;
    }
    // 2. references: SSM values resolved, secrets and valueFroms collected.
    resolve_references(&run, &mut g, &mut sink).await;
    // 3. which variables are secret, decided once; 4. schema validation.
    let secrets = secret_set(schema, &g.set, &g.hidden);
    let validated = validate(&run, &g, &secrets, &mut sink);
    // 5-6. live lookups, judged by each family.
    let image_tags = look_up(&run, &mut g, &validated, &secrets, &mut sink).await;
    // ARNs from another environment (region, and account when known).
    arns(&run, &g, &validated, &secrets, &mut sink);
    // 7. artifacts, against the commit being deployed.
    let artifact_digests = artifacts(&run, &g.set, image_tags.as_ref(), &mut sink)?;
    // 8. drift against the tested environment.
    let resolved = resolved(&run, &g.set, &validated, &g.derived, &mut sink, &artifact_digests);
    drift(&run, &g.set, &secrets, &resolved, &mut sink);
    // 9. fingerprint of exactly what was checked.
    let commit = crate::git::commit(&cfg.root, opts.rev.as_deref())?;
    let fp = fingerprint_of(&run, &g, &secrets, artifact_digests, commit.clone(), &mut sink);
    // 10. the report, redacted, sorted and capped.
    let report = report(&run, g, &validated, &secrets, fp, sink);
    Ok(Outcome { report, resolved, secrets: secrets.names, commit })
}

/// True when the account is asked before the sources are read: the environment names its
/// account or credentials, or a source is itself in the cloud.
fn identity_first(env: &Environment) -> bool {
    env.account.is_some()
        || env.role_arn.is_some()
        || env.profile.is_some()
        || env.source.get_ref().0.iter().any(|e| matches!(e, SourceEntry::SsmPath(_) | SourceEntry::TaskDefinitionArn { .. }))
}

/// Stage 0 (`checks::account`): which account the credentials act in. Unknown or wrong, no
/// other lookup is made (nothing found there could be trusted).
async fn identity<C: Cloud>(run: &mut Run<'_, C>, sink: &mut Sink) {
    let Some(c) = run.cloud else { return };
    run.progress.phase("asking STS which account the credentials act in");
    match checks::account::identify(run.cfg, run.env, c, run.deadline).await {
        checks::account::Identity::Trusted(a) => run.account = a,
        checks::account::Identity::Mismatch { actual, finding } => {
            sink.findings.push(finding);
            sink.notes.push(format!("no live lookup was made: the credentials act in account {actual}, so nothing found there could be trusted"));
            (run.cloud, run.account, run.offline_word) = (None, Some(actual), "skipped (wrong account)");
        }
        checks::account::Identity::Unverified(u) => {
            sink.unverified.push(u);
            (run.cloud, run.offline_word) = (None, "skipped (the account could not be verified)");
        }
    }
}

/// Stage 1: the sources, layered in order (later entries win).
async fn gather<C: Cloud>(run: &Run<'_, C>, sink: &mut Sink) -> Result<Gathered, ToolError> {
    run.progress.phase("reading the environment");
    let mut g = Gathered::default();
    let mut environment_files: Vec<String> = Vec::new();
    for entry in &run.env.source.get_ref().0 {
        match entry {
            SourceEntry::Dotenv { path, dialect } => checks::env::load_dotenv(run.cfg, path, *dialect, run.schema, &mut g.set, sink)?,
            SourceEntry::Process => checks::env::load_process(run.schema, &mut g.set, sink),
            SourceEntry::SsmPath(path) => {
                let what = format!("source ssm_path {path}");
                let Some(cloud) = cloud_source(run, &mut g, sink, &what, "the parameters under this path were not read") else { continue };
                run.progress.phase(&format!("reading SSM parameters under {path}"));
                match live::parameters_by_path(cloud, run.region, path, run.deadline, run.progress).await {
                    Err(e) => source_failed(run, &mut g, sink, what, e),
                    Ok(params) => checks::env::load_ssm_path(run.cfg, run.env, path, params, &mut g.set, &mut g.hidden, sink),
                }
            }
            SourceEntry::TaskDefinition { path, container } => {
                let files = checks::env::load_task_definition_file(run.cfg, path, container, &mut g.set, &mut g.hidden, sink)?;
                environment_files.extend(files);
            }
            SourceEntry::TaskDefinitionArn { id, container } => {
                let what = format!("source task_definition_arn {id}");
                let Some(cloud) = cloud_source(run, &mut g, sink, &what, "the registered task definition was not read") else { continue };
                run.progress.phase(&format!("reading task definition {id}"));
                match live::task_definition(cloud, run.region, id, run.deadline, run.progress).await {
                    Err(e) => source_failed(run, &mut g, sink, what, e),
                    Ok(None) => {
                        return Err(ToolError::new(format!(
                            "task definition {id} is not registered in {} (DescribeTaskDefinition found no such revision)",
                            run.region
                        ))
                        .with_help(format!(
                            "check `task_definition_arn` in {}: aws ecs list-task-definitions --region {}",
                            run.cfg.path.display(),
                            run.region
                        )));
                    }
                    Ok(Some(td)) => {
                        checks::env::load_task_definition(run.cfg, id, &td, container, &mut g.set, &mut g.hidden)?;
                        environment_files.extend(td.containers.iter().filter(|c| c.name == *container).flat_map(|c| c.environment_files.iter().cloned()));
                    }
                }
            }
        }
    }
    environment_file_sources(run, &environment_files, sink)?;
    Ok(g)
}

/// The task definition's `environmentFiles` (S3 objects preflight does not fetch): a dotenv
/// source of the same file name is that file, and ECS reads it as docker does, so its values
/// are checked in that dialect too (`env-dialect`). The others are noted as not checked.
fn environment_file_sources<C: Cloud>(run: &Run<'_, C>, files: &[String], sink: &mut Sink) -> Result<(), ToolError> {
    for object in files {
        let name = object.rsplit('/').next().unwrap_or(object);
        let local = run.env.source.get_ref().0.iter().find_map(|e| match e {
            SourceEntry::Dotenv { path, dialect: crate::config::Dialect::Dotenv } if !name.is_empty() && path.rsplit(['/', '\\']).next() == Some(name) => {
                Some(path)
            }
            _ => None,
        });
        match local {
            Some(path) => checks::env::environment_file_dialect(run.cfg, path, object, run.schema, sink)?,
            None if run.env.source.get_ref().0.iter().any(|e| matches!(e, SourceEntry::Dotenv { path, .. } if path.rsplit(['/', '\\']).next() == Some(name))) => {}
            None => sink.notes.push(format!(
                "the task definition also reads {object} (environmentFiles), which preflight does not fetch: add it as a `dotenv` source with `dialect = \"docker\"` to check it"
            )),
        }
    }
    Ok(())
}

/// The cloud a source is read from; offline (or with an untrusted account) the source is not
/// read, and the run says so.
fn cloud_source<'a, C: Cloud>(run: &Run<'a, C>, g: &mut Gathered, sink: &mut Sink, what: &str, not_read: &str) -> Option<&'a C> {
    if run.cloud.is_none() {
        g.incomplete = true;
        sink.skipped(what.to_string(), run.region, format!("{}: {not_read}", run.offline_word));
    }
    run.cloud
}

/// A source the cloud could not give: unverified, and required variables are not reported
/// missing.
fn source_failed<C: Cloud>(run: &Run<'_, C>, g: &mut Gathered, sink: &mut Sink, what: String, e: crate::cloud::CloudError) {
    g.incomplete = true;
    sink.skipped(what, run.region, e.to_string());
}

/// True when anything of the environment is to be looked up live: a reference in a value, a
/// `valueFrom`, a cloud resource kind in the schema, the environment's `vpc`, an image
/// holding provenance.
fn needs_cloud<C: Cloud>(run: &Run<'_, C>, set: &EnvSet) -> bool {
    let schema = run.schema;
    run.env.vpc.is_some()
        || schema.properties.values().chain(schema.patterns.iter().map(|(_, p)| p)).chain(schema.additional.as_ref()).any(|p| p.aws.is_some())
        || run.cfg.artifacts.iter().any(|a| matches!(a.provenance.as_ref().map(|p| p.get_ref()), Some(crate::config::Provenance::Image(_))))
        || set.vars.values().any(|v| v.is_value_from() || reference::has_reference(&v.raw))
}

/// Stage 2: replaces `{{resolve:ssm:...}}` references with parameter values, and collects
/// the parameters and secrets named by references and task definition `valueFrom`s. A secure
/// reference, a secret and a `valueFrom` are only checked to exist: the variable's value stays
/// unknown and secret.
async fn resolve_references<C: Cloud>(run: &Run<'_, C>, g: &mut Gathered, sink: &mut Sink) {
    run.progress.phase("resolving references");
    let mut parsed: BTreeMap<String, Vec<Part>> = BTreeMap::new();
    let mut value_from: Vec<(String, String)> = Vec::new();
    for var in g.set.vars.values_mut() {
        // Values read from an ssm_path are final (a SecureString's stays unknown).
        if var.value.is_some() || matches!(var.origin, Origin::Ssm { .. }) {
            continue;
        }
        if var.is_value_from() {
            g.hidden.insert(var.name.clone());
            match crate::aws_arn::parse_value_from(&var.raw) {
                Ok(crate::aws_arn::ValueFrom::Ssm { .. }) => value_from.push((var.name.clone(), var.raw.clone())),
                Ok(crate::aws_arn::ValueFrom::Secret(r)) => g.secret_uses.push(SecretUse { var: var.name.clone(), reference: r, by_reference: true }),
                Err(m) => sink.findings.push(checks::ssm::malformed_value_from(var, m)),
            }
            continue;
        }
        if !reference::has_reference(&var.raw) {
            var.value = Some(var.raw.clone());
            continue;
        }
        match reference::parse(&var.raw) {
            Err(m) => sink.findings.push(checks::ssm::malformed_reference(var, m.message)),
            Ok(parts) => {
                for r in parts.iter().filter_map(|p| if let Part::Ref(r) = p { Some(r) } else { None }) {
                    if r.secure {
                        g.hidden.insert(var.name.clone());
                    }
                    match &r.secret {
                        Some(s) => g.secret_uses.push(SecretUse { var: var.name.clone(), reference: s.clone(), by_reference: true }),
                        None => g.parameter_uses.push((var.name.clone(), r.name.clone())),
                    }
                }
                parsed.insert(var.name.clone(), parts);
            }
        }
    }
    g.parameter_uses.extend(value_from.iter().cloned());
    let names: BTreeSet<String> = g.parameter_uses.iter().map(|(_, n)| n.clone()).collect();
    if names.is_empty() {
        return;
    }
    let Some(cloud) = run.cloud else {
        // A reference's value is unknown until resolved (unverified); a `valueFrom`'s is never
        // known, so only its existence goes unchecked (a note, as for other resource names).
        let in_values: BTreeSet<&String> = g.parameter_uses.iter().filter(|(v, _)| parsed.contains_key(v)).map(|(_, n)| n).collect();
        if !in_values.is_empty() {
            let reason = format!("{}: {{{{resolve:ssm:...}}}} references were not resolved, so those values were not validated", run.offline_word);
            sink.skipped(format!("{} SSM reference(s) in values", in_values.len()), run.region, reason);
        }
        if !value_from.is_empty() {
            sink.notes.push(format!("{}: {} task definition valueFrom parameter(s) were not looked up", run.offline_word, value_from.len()));
        }
        return;
    };
    live::parameters(cloud, run.region, &names, &mut g.params, run.deadline, run.progress).await;
    checks::ssm::substitute(run.region, &mut g.set, parsed, &value_from, &g.params, sink);
}

/// The run's secret variables: by schema (`writeOnly` at any depth, or the explicit opt-out),
/// by name, by the shape of the value as written or as resolved, and every value preflight
/// could not read (a SecureString, a secret).
fn secret_set(schema: &EnvSchema, set: &EnvSet, hidden: &BTreeSet<String>) -> SecretSet {
    let mut out = SecretSet::default();
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

/// Stage 4: the schema's types and keywords, and the offline shape of resource names.
fn validate<C: Cloud>(run: &Run<'_, C>, g: &Gathered, secrets: &SecretSet, sink: &mut Sink) -> checks::env::Validated {
    let unknown: BTreeSet<String> = g.set.vars.values().filter(|v| v.value.is_none()).map(|v| v.name.clone()).collect();
    let validated = checks::env::validate(run.schema, &g.set, secrets, &unknown, g.incomplete, run.region, sink);
    if g.incomplete {
        sink.notes.push("a source could not be read, so required variables were not reported as missing".into());
    }
    for u in &g.secret_uses {
        if let Some(key) = &u.reference.json_key {
            sink.notes
                .push(format!("{}: the JSON key `{key}` of secret {} was not checked (preflight never reads a secret's value)", u.var, u.reference.secret_id));
        }
    }
    // A resource named by a value preflight cannot read is never looked up: say so, rather
    // than let it pass unseen.
    if run.cloud.is_some() {
        for var in g.set.vars.values().filter(|v| v.value.is_none() && g.hidden.contains(&v.name)) {
            if let Some(kind) = run.schema.property(&var.name).and_then(|p| p.aws) {
                let reason = "the value is a SecureString or a secret, which preflight never reads, so the resource it names was not looked up".into();
                sink.skipped(format!("{} {}", kind.as_str(), var.name), run.region, reason);
            }
        }
    }
    validated
}

/// Stages 5 and 6: every lookup of the primary and failover regions (batched per region and
/// kind, SPEC section 5), judged by each family. Returns the judges' output and the tags of
/// the images found (for image provenance).
async fn look_up<C: Cloud>(
    run: &Run<'_, C>,
    g: &mut Gathered,
    validated: &checks::env::Validated,
    secrets: &SecretSet,
    out: &mut Sink,
) -> Option<checks::artifact::ImageTags> {
    for (var, kind, value) in &validated.resources {
        match kind {
            AwsKind::Secret => g.secret_uses.push(SecretUse {
                var: var.clone(),
                reference: crate::aws_arn::SecretRef { secret_id: value.clone(), json_key: None, version_stage: None, version_id: None },
                by_reference: false,
            }),
            AwsKind::Parameter => g.parameter_uses.push((var.clone(), value.clone())),
            _ => {}
        }
    }
    let vpc = run.env.vpc.as_ref().map(|v| (v.get_ref().as_str(), Some(run.cfg.location(v.span()))));
    let Some(cloud) = run.cloud else {
        let n = validated.resources.len() + usize::from(vpc.is_some()) + g.secret_uses.len();
        if n > 0 {
            out.notes.push(format!("{}: {n} cloud resource name(s) were checked for shape only, not looked up", run.offline_word));
        }
        return None;
    };
    let (d, p) = (run.deadline, run.progress);
    let is_secret = |n: &str| secrets.contains(n);
    let failover_regions = run.env.regions()[1..].to_vec();
    // What the autoscaler launches: the groups, then their (and the values') launch template
    // versions. Their data joins the batches below: one extra round trip, no call per resource.
    let own = LiveCtx {
        region: run.region,
        failover_regions: &failover_regions,
        vpc: vpc.clone(),
        resources: &validated.resources,
        env: &g.set,
        is_secret: &is_secret,
    };
    let group_names: BTreeSet<String> = own.of(AwsKind::AutoScalingGroup).map(|(_, n)| n.to_string()).collect();
    let templates = checks::autoscaling::versioned_templates(&own);
    let launch_answers = if group_names.is_empty() && templates.is_empty() {
        live::LaunchAnswers::default()
    } else {
        run.progress.phase("looking up Auto Scaling groups and launch template versions");
        live::launches(cloud, run.region, &group_names, &templates, d, p).await
    };
    let first_live = out.findings.len();
    let launches = checks::autoscaling::resolve(&own, &launch_answers, out);
    g.derived = checks::autoscaling::derived(&launches);
    let resources: Vec<(String, AwsKind, String)> = validated.resources.iter().chain(&g.derived).cloned().collect();

    let mut plan = plan(run, g, &resources);
    plan.subnets.extend(checks::autoscaling::group_subnets(&launch_answers));
    let mut failover_plan = failover_plan(g, &resources);
    failover_plan.groups = group_names;
    let secret_ids: BTreeSet<String> = g.secret_uses.iter().map(|u| u.reference.secret_id.clone()).collect();
    let traffic_plan = checks::traffic::plan(&own, &launch_answers);
    run.progress.phase("looking up resources");
    let (answers, failover, (), traffic) = tokio::join!(
        live::run(cloud, &plan, &mut g.params, d, p),
        live::failover(cloud, &failover_regions, &failover_plan, d, p),
        live::secrets(cloud, run.region, &secret_ids, &mut g.secrets, d, p),
        live::traffic::run(cloud, &traffic_plan, d, p),
    );
    let ctx = LiveCtx { region: run.region, failover_regions: &failover_regions, vpc, resources: &resources, env: &g.set, is_secret: &is_secret };
    checks::traffic::judge(&ctx, run.schema, &traffic, &answers, out);
    checks::autoscaling::judge_vpc(&ctx, &launch_answers, &answers, out);
    checks::autoscaling::judge_fields(&ctx, run.schema, &launches, out);
    checks::autoscaling::judge_failover(&ctx, &launch_answers, &failover, out);
    checks::autoscaling::judge_target_groups(&ctx, &launch_answers, &traffic, out);
    checks::autoscaling::judge_zones(&ctx, &launch_answers, &answers, &launches, out);
    checks::ami::judge(&ctx, &answers, SystemTime::now(), out);
    checks::network::judge(&ctx, &answers, out);
    checks::compute::judge(&ctx, &answers, out);
    checks::compute::judge_failover(&ctx, &answers, &failover, out);
    checks::ssm::judge(&ctx, &g.params, out);
    checks::ssm::judge_failover(&ctx, &g.parameter_uses, &g.params, &failover, out);
    checks::secretsmanager::judge(&ctx, &g.secret_uses, &g.secrets, out);
    checks::secretsmanager::judge_failover(&ctx, &g.secret_uses, &g.secrets, &failover, out);
    checks::autoscaling::mark_via(&launches, &mut out.findings[first_live..]);
    match &answers.images {
        Some(Ok(images)) => Some(images.iter().map(|i| (i.id.clone(), i.tags.clone())).collect()),
        _ => None,
    }
}

/// `arn-mismatch`: every ARN against the environment's region and account (its `account`, or
/// the one STS answered). Values preflight looks up are errors when looked up, the rest warnings.
fn arns<C: Cloud>(run: &Run<'_, C>, g: &Gathered, validated: &checks::env::Validated, secrets: &SecretSet, sink: &mut Sink) {
    let mut looked_up: Vec<(String, String)> = Vec::new();
    looked_up.extend(validated.resources.iter().filter(|(_, _, v)| v.starts_with("arn:")).map(|(var, _, v)| (var.clone(), v.clone())));
    looked_up.extend(g.parameter_uses.iter().filter(|(_, n)| n.starts_with("arn:")).map(|(var, n)| (var.clone(), n.clone())));
    looked_up.extend(g.secret_uses.iter().filter(|u| u.reference.secret_id.starts_with("arn:")).map(|u| (u.var.clone(), u.reference.secret_id.clone())));
    let account = run.account.as_deref().or(run.env.account.as_ref().map(|a| a.get_ref().as_str()));
    let ctx = checks::arn::ArnCtx { region: run.region, account, live: run.cloud.is_some(), looked_up: &looked_up };
    checks::arn::judge(&ctx, &g.set, secrets, sink);
}

/// The primary region's lookups: every resource value, the environment's `vpc`, and the images
/// whose tags hold an artifact's provenance.
fn plan<C: Cloud>(run: &Run<'_, C>, g: &Gathered, resources: &[(String, AwsKind, String)]) -> Plan {
    let mut plan = Plan { region: run.region.to_string(), failover_regions: run.env.regions()[1..].to_vec(), ..Default::default() };
    for (_, kind, value) in resources {
        plan.add(*kind, value);
    }
    if let Some(v) = &run.env.vpc {
        plan.add(AwsKind::Vpc, v.get_ref());
    }
    // Groups named with nothing to place the launch in a VPC: it goes to the default one.
    plan.default_vpc = !plan.group_names.is_empty() && run.env.vpc.is_none() && plan.subnets.is_empty();
    for a in &run.cfg.artifacts {
        if let Some(crate::config::Provenance::Image(img)) = a.provenance.as_ref().map(|p| p.get_ref())
            && let Some(id) = g.set.vars.get(&img.image_var).and_then(|v| v.value.as_deref())
            && crate::aws_ids::is_id(id, "ami")
        {
            plan.add(AwsKind::Image, id);
        }
    }
    plan
}

/// What each failover region is asked: everything named by name (SPEC section 1). Regional ids
/// (`sg-`, `subnet-`, `vpc-`, `lt-`) are not: they differ per region.
fn failover_plan(g: &Gathered, resources: &[(String, AwsKind, String)]) -> live::FailoverPlan {
    let mut plan = live::FailoverPlan::default();
    plan.parameters.extend(g.parameter_uses.iter().filter_map(|(_, n)| checks::ssm::failover_name(n)));
    plan.secrets.extend(g.secret_uses.iter().map(|u| live::secret_list_name(&u.reference.secret_id)));
    for (_, kind, value) in resources {
        match kind {
            AwsKind::KeyPair => plan.key_pairs.insert(value.clone()),
            AwsKind::LaunchTemplate => {
                let t = crate::aws_ids::split_template_version(value).0;
                !crate::aws_ids::is_id(t, "lt") && plan.launch_template_names.insert(t.to_string())
            }
            AwsKind::InstanceType => plan.instance_types.insert(value.clone()),
            _ => false,
        };
    }
    plan
}

/// Stage 7: artifact freshness against the commit being deployed.
fn artifacts<C: Cloud>(
    run: &Run<'_, C>,
    set: &EnvSet,
    image_tags: Option<&checks::artifact::ImageTags>,
    sink: &mut Sink,
) -> Result<Vec<(String, String)>, ToolError> {
    if run.cfg.artifacts.is_empty() {
        return Ok(Vec::new());
    }
    run.progress.phase("checking artifacts");
    let repo = crate::git::Repo::open(&run.cfg.root)?;
    let commit = repo.resolve(run.opts.rev.as_deref())?;
    let at_head = repo.resolve(None).ok() == Some(commit);
    let values: BTreeMap<String, String> = set.vars.values().filter_map(|v| v.value.clone().map(|x| (v.name.clone(), x))).collect();
    let inputs = checks::artifact::Inputs { cfg: run.cfg, repo: &repo, commit, at_head, values: &values, image_tags, region: run.region };
    checks::artifact::check(&inputs, sink)
}

/// What this run resolved, in the shape the lock records.
fn resolved<C: Cloud>(
    run: &Run<'_, C>,
    set: &EnvSet,
    validated: &checks::env::Validated,
    derived: &[(String, AwsKind, String)],
    sink: &mut Sink,
    artifact_digests: &[(String, String)],
) -> checks::drift::Resolved {
    let mut resource_counts: BTreeMap<String, usize> = BTreeMap::new();
    for (var, _, _) in validated.resources.iter().chain(derived) {
        *resource_counts.entry(var.clone()).or_default() += 1;
    }
    checks::drift::Resolved {
        values: set.vars.values().map(|v| (v.name.clone(), v.value.clone())).collect(),
        attributes: std::mem::take(&mut sink.attributes),
        resource_counts,
        artifacts: artifact_digests.iter().cloned().collect(),
        live: run.cloud.is_some(),
    }
}

/// Stage 8: drift against the tested environment's lock (`checks::drift`).
fn drift<C: Cloud>(run: &Run<'_, C>, set: &EnvSet, secrets: &SecretSet, resolved: &checks::drift::Resolved, sink: &mut Sink) {
    let Some((lock, name)) = &run.opts.against else { return };
    let blocked: BTreeSet<String> = sink.findings.iter().filter(|f| f.severity == crate::rules::Severity::Error).filter_map(|f| f.key.clone()).collect();
    let first = sink.findings.len();
    checks::drift::compare(lock, name, run.schema, set, &secrets.names, &blocked, resolved, run.region, sink);
    let how = checks::drift::Context { cfg: run.cfg, rev: run.opts.rev.as_deref(), account: run.account.as_deref() };
    checks::drift::explain(&how, lock, &mut sink.findings[first..]);
}

/// Stage 9: the fingerprint, and `fingerprint-mismatch` against `--expect-fingerprint`.
fn fingerprint_of<C: Cloud>(
    run: &Run<'_, C>,
    g: &Gathered,
    secrets: &SecretSet,
    artifacts: Vec<(String, String)>,
    commit: Option<String>,
    sink: &mut Sink,
) -> String {
    let fp_values: Vec<(&str, String, bool)> =
        g.set.vars.values().map(|v| (v.name.as_str(), fingerprint_text(v, &g.params), secrets.contains(&v.name))).collect();
    let inputs = fingerprint::Inputs {
        environment: &run.env.name,
        variables: fp_values.iter().map(|(n, t, s)| (*n, t.as_str(), *s)).collect(),
        resources: sink.resolved.clone(),
        artifacts,
        commit,
        account: run.account.clone(),
    };
    let fp = fingerprint::compute(&inputs, fingerprint::key_from_env().as_deref());
    if let Some(expected) = &run.opts.expect_fingerprint {
        checks::drift::judge_fingerprint(expected, &fp, sink);
    }
    fp
}

/// A variable's text in the fingerprint. A value that cannot be known (an ssm-secure reference,
/// a `valueFrom`) enters as its text plus the versions of the SecureStrings it names: rotating
/// one changes the fingerprint, though its value is never decrypted. (Secrets Manager secrets
/// enter through their version ids among the resolved resources.)
fn fingerprint_text(v: &crate::env::Variable, params: &ParameterAnswers) -> String {
    if let Some(x) = &v.value {
        return x.clone();
    }
    let version = |name: &str| params.by_name.get(name)?.as_ref().ok()?.as_ref()?.version.map(|n| format!("{name}@{n}"));
    let versions: Vec<String> = if v.is_value_from() {
        version(&v.raw).into_iter().collect()
    } else {
        let parts = reference::parse(&v.raw).unwrap_or_default();
        parts
            .iter()
            .filter_map(|p| if let Part::Ref(r) = p { Some(r) } else { None })
            .filter(|r| r.secure && r.secret.is_none())
            .filter_map(|r| version(&r.name))
            .collect()
    };
    if versions.is_empty() { v.raw.clone() } else { format!("{}\0{}", v.raw, versions.join(",")) }
}

/// Stage 10: counts, JUnit cases, the redactor, and the report itself.
fn report<C: Cloud>(run: &Run<'_, C>, mut g: Gathered, validated: &checks::env::Validated, secrets: &SecretSet, fingerprint: String, sink: Sink) -> Report {
    let redactor = redactor(&g.set, secrets);
    let mut report = Report {
        cases: cases(run, &g, validated),
        environment: run.env.name.clone(),
        fingerprint,
        checked: checked(run, &g, validated),
        findings: sink.findings,
        unverified: sink.unverified,
        sources: std::mem::take(&mut g.set.files),
        notes: sink.notes,
        config_file: run.cfg.file_name(),
        account: run.account.clone(),
    };
    report.redact(&redactor);
    report.sort();
    report.cap(checks::env::MAX_PER_RULE);
    report
}

/// What the report is masked with: the secret variables' values and the literal text they are
/// written with (a `{{resolve:...}}` reference or a `valueFrom` only names a parameter or
/// secret and is not secret), and the passwords of URLs in every other value.
fn redactor(set: &EnvSet, secrets: &SecretSet) -> crate::secrets::Redactor {
    let secret_texts: Vec<String> = set
        .vars
        .values()
        .filter(|v| secrets.contains(&v.name))
        .flat_map(|v| {
            let raw: Vec<String> = match reference::parse(&v.raw) {
                _ if v.is_value_from() => Vec::new(),
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
    crate::secrets::Redactor::new(secret_texts.iter().map(String::as_str), other_values)
}

/// The JUnit test cases: one per (family, subject).
fn cases<C: Cloud>(run: &Run<'_, C>, g: &Gathered, validated: &checks::env::Validated) -> Vec<(Family, String)> {
    let mut cases: BTreeSet<(Family, String)> = g.set.vars.keys().map(|n| (Family::Env, n.clone())).collect();
    for (var, kind, _) in &validated.resources {
        cases.insert((family_of(*kind), var.clone()));
    }
    cases.extend(g.parameter_uses.iter().map(|(v, _)| (Family::Ssm, v.clone())));
    cases.extend(g.secret_uses.iter().map(|u| (Family::Secretsmanager, u.var.clone())));
    for a in &run.cfg.artifacts {
        cases.insert((Family::Artifact, a.name.get_ref().clone()));
    }
    if let Some((lock, _)) = &run.opts.against {
        cases.extend(lock.variables.keys().chain(g.set.vars.keys()).map(|n| (Family::Drift, n.clone())));
    }
    if run.opts.expect_fingerprint.is_some() {
        cases.insert((Family::Drift, "fingerprint".into()));
    }
    cases.into_iter().collect()
}

/// How many things of each kind were checked.
fn checked<C: Cloud>(run: &Run<'_, C>, g: &Gathered, validated: &checks::env::Validated) -> Checked {
    let mut checked = Checked { variables: g.set.vars.len(), artifacts: run.cfg.artifacts.len(), ..Default::default() };
    let distinct: BTreeSet<(AwsKind, &str)> = validated.resources.iter().map(|(_, k, v)| (*k, v.as_str())).collect();
    for (kind, _) in &distinct {
        *slot(&mut checked, *kind) += 1;
    }
    checked.parameters += g.params.by_name.keys().filter(|n| !distinct.contains(&(AwsKind::Parameter, n.as_str()))).count();
    checked.secrets += g.secrets.by_id.keys().filter(|n| !distinct.contains(&(AwsKind::Secret, n.as_str()))).count();
    // Parameters read by an ssm_path source were checked too (they exist: they were listed).
    checked.parameters += g.set.vars.values().filter(|v| matches!(v.origin, Origin::Ssm { .. })).count();
    checked
}

/// The check family that judges a resource kind.
fn family_of(kind: AwsKind) -> Family {
    match kind {
        AwsKind::Image => Family::Ami,
        AwsKind::SecurityGroup | AwsKind::Subnet | AwsKind::Vpc => Family::Network,
        AwsKind::InstanceType | AwsKind::LaunchTemplate | AwsKind::KeyPair => Family::Compute,
        AwsKind::Parameter => Family::Ssm,
        AwsKind::Secret => Family::Secretsmanager,
        AwsKind::AutoScalingGroup => Family::Autoscaling,
        AwsKind::LoadBalancer | AwsKind::TargetGroup | AwsKind::DnsRecord => Family::Traffic,
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
        AwsKind::Secret => &mut checked.secrets,
        AwsKind::AutoScalingGroup => &mut checked.groups,
        AwsKind::LoadBalancer => &mut checked.load_balancers,
        AwsKind::TargetGroup => &mut checked.target_groups,
        AwsKind::DnsRecord => &mut checked.dns_records,
    }
}
