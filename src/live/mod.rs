//! Live lookups, batched (SPEC section 5): per region and resource kind one call for all ids
//! (split only at the API's own limits), SSM GetParameters ten names at a time, identical
//! lookups once, regions and kinds concurrently, every call bounded by the run's deadline.
//!
//! This module only asks; the check families judge the answers. Load balancers, target groups
//! and DNS records are asked by [`traffic`].

pub mod traffic;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::future::join_all;
use tokio::time::Instant;

use crate::cloud::{
    AutoScalingGroup, Cloud, CloudError, Image, InstanceType, KeyPair, LaunchTemplate, Offering, Parameter, Secret, SecurityGroup, Subnet, TemplateRef,
    TemplateVersion, Vpc,
};
use crate::schema::AwsKind;

/// SSM GetParameters accepts at most ten names per call.
pub const SSM_BATCH: usize = 10;

/// ListSecrets accepts at most ten values in a `name` filter.
pub const SECRETS_BATCH: usize = 10;

/// A lookup's outcome: the answer, or why it could not be had.
pub type Answer<T> = Result<T, CloudError>;

/// Counts lookups for the progress indicator (a spinner on stderr, only on a terminal).
#[derive(Debug, Default)]
pub struct Progress {
    pub started: AtomicUsize,
    pub done: AtomicUsize,
    pub bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// A spinner when stderr is a terminal and NO_COLOR is not set; otherwise silent.
    pub fn for_terminal() -> Progress {
        use std::io::IsTerminal;
        let quiet = !std::io::stderr().is_terminal() || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let bar = (!quiet).then(|| {
            let pb = indicatif::ProgressBar::new_spinner();
            pb.enable_steady_tick(std::time::Duration::from_millis(100));
            pb
        });
        Progress { bar, ..Default::default() }
    }

    pub fn phase(&self, what: &str) {
        if let Some(pb) = &self.bar {
            pb.set_message(what.to_string());
        }
    }

    fn tick(&self) {
        if let Some(pb) = &self.bar {
            let (d, s) = (self.done.load(Ordering::Relaxed), self.started.load(Ordering::Relaxed));
            pb.set_prefix(format!("{d}/{s} lookups"));
            pb.set_message(format!("{d}/{s} lookups answered"));
        }
    }

    pub fn finish(&self) {
        if let Some(pb) = &self.bar {
            pb.finish_and_clear();
        }
    }
}

/// Runs `fut` unless the deadline has passed first.
pub(crate) async fn bounded<T>(deadline: Instant, progress: &Progress, what: &str, fut: impl Future<Output = Answer<T>>) -> Answer<T> {
    progress.started.fetch_add(1, Ordering::Relaxed);
    progress.tick();
    let out = match tokio::time::timeout_at(deadline, fut).await {
        Ok(r) => r,
        Err(_) => Err(CloudError::Timeout(format!("{what}: the run's deadline (--timeout) passed before an answer"))),
    };
    progress.done.fetch_add(1, Ordering::Relaxed);
    progress.tick();
    out
}

/// Every parameter under an SSM path, bounded by the deadline.
pub async fn parameters_by_path<C: Cloud>(cloud: &C, region: &str, path: &str, deadline: Instant, progress: &Progress) -> Answer<Vec<Parameter>> {
    bounded(deadline, progress, "ssm:GetParametersByPath", cloud.parameters_by_path(region, path)).await
}

/// A registered task definition, bounded by the deadline.
pub async fn task_definition<C: Cloud>(
    cloud: &C,
    region: &str,
    id: &str,
    deadline: Instant,
    progress: &Progress,
) -> Answer<Option<crate::cloud::TaskDefinition>> {
    bounded(deadline, progress, "ecs:DescribeTaskDefinition", cloud.task_definition(region, id)).await
}

/// Every parameter looked up, by the name asked for (with any `:version` selector).
#[derive(Debug, Default)]
pub struct ParameterAnswers {
    /// name -> Ok(Some) found, Ok(None) does not exist, Err could not ask.
    pub by_name: BTreeMap<String, Answer<Option<Parameter>>>,
}

/// Looks parameters up ten at a time, all batches concurrently; names already in `cache` are
/// not asked again.
pub async fn parameters<C: Cloud>(cloud: &C, region: &str, names: &BTreeSet<String>, cache: &mut ParameterAnswers, deadline: Instant, progress: &Progress) {
    let todo: Vec<String> = names.iter().filter(|n| !cache.by_name.contains_key(*n)).cloned().collect();
    let batches = parameter_batches(todo);
    let results = join_all(batches.iter().map(|batch| bounded(deadline, progress, "ssm:GetParameters", cloud.parameters(region, batch)))).await;
    let mut retry = Vec::new();
    for (batch, result) in batches.into_iter().zip(results) {
        match result {
            // SSM refuses a whole call over one name it will not accept: ask for each name on its
            // own, so the others still get an answer (calls grow only in this error case).
            Err(CloudError::Service { code, .. }) if code == "ValidationException" && batch.len() > 1 => retry.extend(batch),
            result => record_parameters(batch, result, cache),
        }
    }
    let singles: Vec<Vec<String>> = retry.into_iter().map(|n| vec![n]).collect();
    let results = join_all(singles.iter().map(|one| bounded(deadline, progress, "ssm:GetParameters", cloud.parameters(region, one)))).await;
    for (one, result) in singles.into_iter().zip(results) {
        record_parameters(one, result, cache);
    }
}

/// Groups names into GetParameters calls of at most ten, never putting two references to the
/// same parameter (`/a` and `/a:3`) in one call: SSM answers both under the plain name, so
/// their answers could not be told apart.
fn parameter_batches(names: Vec<String>) -> Vec<Vec<String>> {
    let mut batches: Vec<Vec<String>> = Vec::new();
    let mut open = 0; // batches before this one are full
    for name in names {
        let base = crate::aws_ids::split_parameter_selector(&name).0.to_string();
        let same = |b: &Vec<String>| b.iter().any(|n| crate::aws_ids::split_parameter_selector(n).0 == base);
        while open < batches.len() && batches[open].len() >= SSM_BATCH {
            open += 1;
        }
        match batches[open..].iter_mut().find(|b| b.len() < SSM_BATCH && !same(b)) {
            Some(b) => b.push(name),
            None => batches.push(vec![name]),
        }
    }
    batches
}

/// Records one GetParameters answer by the names asked. A name is missing only when SSM lists
/// it as invalid; one it neither lists nor answers is an answer preflight cannot read, and
/// stays unverified rather than becoming "not found".
fn record_parameters(batch: Vec<String>, result: Answer<crate::cloud::Parameters>, cache: &mut ParameterAnswers) {
    match result {
        Ok(answer) => {
            for name in batch {
                let base = crate::aws_ids::split_parameter_selector(&name).0;
                let entry = if answer.invalid.iter().any(|i| i == &name) {
                    Ok(None)
                } else {
                    match answer.found.iter().find(|p| p.name == base || p.arn.as_deref() == Some(base)) {
                        Some(p) => Ok(Some(p.clone())),
                        None => Err(CloudError::Service {
                            code: "UnmatchedAnswer".into(),
                            message: format!("GetParameters neither returned {name} nor listed it as invalid"),
                        }),
                    }
                };
                cache.by_name.insert(name, entry);
            }
        }
        Err(e) => {
            for name in batch {
                cache.by_name.insert(name, Err(e.clone()));
            }
        }
    }
}

/// Every secret looked up, by the id asked for (a name or an ARN).
#[derive(Debug, Default)]
pub struct SecretAnswers {
    /// id -> Ok(Some) found, Ok(None) does not exist, Err could not ask.
    pub by_id: BTreeMap<String, Answer<Option<Secret>>>,
}

/// The name to list a secret id by: the id itself, or an ARN's secret name without the random
/// six-character suffix Secrets Manager appends (a `name` filter matches by prefix, so the
/// listing holds the secret whether the ARN is full or partial).
pub fn secret_list_name(id: &str) -> String {
    let Some(arn) = crate::aws_arn::parse_arn(id) else { return id.to_string() };
    let name = arn.resource.strip_prefix("secret:").unwrap_or(arn.resource);
    match name.rsplit_once('-') {
        Some((base, suffix)) if !base.is_empty() && suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_alphanumeric()) => base.to_string(),
        _ => name.to_string(),
    }
}

/// Whether a listed secret is the one an id names: the same name, the same full ARN, or (a
/// partial ARN) the same ARN without its suffix.
fn secret_matches(id: &str, s: &Secret) -> bool {
    if !id.starts_with("arn:") {
        return s.name == id;
    }
    s.arn == id || s.arn.len() == id.len() + 7 && s.arn.starts_with(id) && s.arn.as_bytes()[id.len()] == b'-'
}

/// Looks secrets up by name, ten names per ListSecrets call (metadata only, paginated, those
/// scheduled for deletion included), all calls concurrently. An ARN the listing does not hold
/// (another account's secret) is asked once with DescribeSecret: calls grow with distinct
/// secrets only in that case. Ids already in `cache` are not asked again.
pub async fn secrets<C: Cloud>(cloud: &C, region: &str, ids: &BTreeSet<String>, cache: &mut SecretAnswers, deadline: Instant, progress: &Progress) {
    let todo: Vec<&String> = ids.iter().filter(|n| !cache.by_id.contains_key(*n)).collect();
    let names: BTreeSet<String> = todo.iter().map(|id| secret_list_name(id)).collect();
    let batches: Vec<Vec<String>> = names.into_iter().collect::<Vec<_>>().chunks(SECRETS_BATCH).map(<[String]>::to_vec).collect();
    let listed = join_all(batches.iter().map(|b| bounded(deadline, progress, "secretsmanager:ListSecrets", cloud.secrets(region, b)))).await;
    let mut found: Vec<Secret> = Vec::new();
    let mut failed: BTreeMap<String, CloudError> = BTreeMap::new();
    for (batch, answer) in batches.into_iter().zip(listed) {
        match answer {
            Ok(list) => found.extend(list),
            Err(e) => failed.extend(batch.into_iter().map(|n| (n, e.clone()))),
        }
    }
    let mut describe = Vec::new();
    for id in todo {
        let answer = match (failed.get(&secret_list_name(id)), found.iter().find(|s| secret_matches(id, s))) {
            (Some(e), _) => Err(e.clone()),
            (None, Some(s)) => Ok(Some(s.clone())),
            (None, None) if id.starts_with("arn:") => {
                describe.push(id.clone());
                continue;
            }
            (None, None) => Ok(None),
        };
        cache.by_id.insert(id.clone(), answer);
    }
    let described = join_all(describe.iter().map(|id| bounded(deadline, progress, "secretsmanager:DescribeSecret", cloud.secret(region, id)))).await;
    cache.by_id.extend(describe.into_iter().zip(described));
}

/// What a failover region is asked: everything the environment names by name (SPEC section 1).
/// Images are asked in [`run`] (their names are known only once the primary answers).
#[derive(Debug, Default)]
pub struct FailoverPlan {
    pub parameters: BTreeSet<String>,
    pub secrets: BTreeSet<String>,
    pub key_pairs: BTreeSet<String>,
    pub launch_template_names: BTreeSet<String>,
    pub instance_types: BTreeSet<String>,
    pub groups: BTreeSet<String>,
}

/// One failover region's answers.
#[derive(Debug, Default)]
pub struct FailoverAnswers {
    pub parameters: ParameterAnswers,
    pub secrets: SecretAnswers,
    pub key_pairs: Option<Answer<Vec<KeyPair>>>,
    pub launch_templates: Option<Answer<Vec<LaunchTemplate>>>,
    pub offerings: Option<Answer<Vec<Offering>>>,
    pub groups: Option<Answer<Vec<AutoScalingGroup>>>,
}

/// Asks each failover region for the plan's names, regions and kinds concurrently, one
/// batched call per region and kind (SSM and Secrets Manager ten names a call).
pub async fn failover<C: Cloud>(
    cloud: &C,
    regions: &[String],
    plan: &FailoverPlan,
    deadline: Instant,
    progress: &Progress,
) -> BTreeMap<String, FailoverAnswers> {
    let p = progress;
    let one = |region: &str| {
        let region = region.to_string();
        async move {
            let r = region.as_str();
            let mut out = FailoverAnswers::default();
            let (mut params, mut secrets) = (ParameterAnswers::default(), SecretAnswers::default());
            let key_pairs = async {
                if plan.key_pairs.is_empty() {
                    None
                } else {
                    Some(bounded(deadline, p, "ec2:DescribeKeyPairs", cloud.key_pairs(r, &list(&plan.key_pairs))).await)
                }
            };
            let templates = async {
                if plan.launch_template_names.is_empty() {
                    None
                } else {
                    Some(bounded(deadline, p, "ec2:DescribeLaunchTemplates", cloud.launch_templates(r, &[], &list(&plan.launch_template_names))).await)
                }
            };
            let offerings = async {
                if plan.instance_types.is_empty() {
                    None
                } else {
                    Some(bounded(deadline, p, "ec2:DescribeInstanceTypeOfferings", cloud.offerings(r, &list(&plan.instance_types))).await)
                }
            };
            let groups = async { if plan.groups.is_empty() { None } else { Some(groups(cloud, r, &plan.groups, deadline, p).await) } };
            let ssm = parameters(cloud, r, &plan.parameters, &mut params, deadline, p);
            let sm = secrets_lookup(cloud, r, &plan.secrets, &mut secrets, deadline, p);
            let (key_pairs, templates, offerings, groups, (), ()) = tokio::join!(key_pairs, templates, offerings, groups, ssm, sm);
            (out.key_pairs, out.launch_templates, out.offerings, out.groups) = (key_pairs, templates, offerings, groups);
            (out.parameters, out.secrets) = (params, secrets);
            (region, out)
        }
    };
    join_all(regions.iter().map(|r| one(r))).await.into_iter().collect()
}

/// Auto Scaling groups by name, 100 a call (the API's limit), all calls concurrently.
async fn groups<C: Cloud>(cloud: &C, region: &str, names: &BTreeSet<String>, deadline: Instant, progress: &Progress) -> Answer<Vec<AutoScalingGroup>> {
    let names = list(names);
    let calls =
        join_all(names.chunks(100).map(|c| bounded(deadline, progress, "autoscaling:DescribeAutoScalingGroups", cloud.auto_scaling_groups(region, c)))).await;
    calls.into_iter().collect::<Answer<Vec<Vec<_>>>>().map(|v| v.into_iter().flatten().collect())
}

/// What the autoscaler will launch in one region: the groups, then one
/// DescribeLaunchTemplateVersions per distinct template (with every version asked of it).
#[derive(Debug, Default)]
pub struct LaunchAnswers {
    pub groups: Option<Answer<Vec<AutoScalingGroup>>>,
    /// Template (id or name, as named) -> the versions answered.
    pub versions: BTreeMap<String, Answer<Vec<TemplateVersion>>>,
}

/// Asks for the groups, then for the template versions they and the values name.
pub async fn launches<C: Cloud>(
    cloud: &C,
    region: &str,
    group_names: &BTreeSet<String>,
    templates: &BTreeSet<TemplateRef>,
    deadline: Instant,
    progress: &Progress,
) -> LaunchAnswers {
    let mut out = LaunchAnswers::default();
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in templates {
        wanted.entry(t.template.clone()).or_default().insert(t.version.clone());
    }
    if !group_names.is_empty() {
        let answer = groups(cloud, region, group_names, deadline, progress).await;
        for t in answer.iter().flatten().filter_map(|g| g.launch_template.as_ref()) {
            wanted.entry(t.template.clone()).or_default().insert(t.version.clone());
        }
        out.groups = Some(answer);
    }
    let asked = join_all(wanted.iter().map(|(t, versions)| async move {
        let versions = list(versions);
        bounded(deadline, progress, "ec2:DescribeLaunchTemplateVersions", cloud.launch_template_versions(region, t, &versions)).await
    }))
    .await;
    out.versions = wanted.into_keys().zip(asked).collect();
    out
}

async fn secrets_lookup<C: Cloud>(cloud: &C, region: &str, ids: &BTreeSet<String>, cache: &mut SecretAnswers, deadline: Instant, progress: &Progress) {
    if !ids.is_empty() {
        secrets(cloud, region, ids, cache, deadline, progress).await;
    }
}

/// An image found by name in a failover region, with the owner it was asked for.
pub type OwnedImage = (Option<String>, Image);

/// Everything phase two asks EC2 (and SSM for `ssm:parameter` values) in one region.
#[derive(Debug, Default)]
pub struct Plan {
    pub region: String,
    pub failover_regions: Vec<String>,
    pub images: BTreeSet<String>,
    pub group_ids: BTreeSet<String>,
    pub group_names: BTreeSet<String>,
    pub subnets: BTreeSet<String>,
    pub vpcs: BTreeSet<String>,
    pub instance_types: BTreeSet<String>,
    pub launch_template_ids: BTreeSet<String>,
    pub launch_template_names: BTreeSet<String>,
    pub key_pairs: BTreeSet<String>,
    pub parameters: BTreeSet<String>,
    /// Ask for the region's default VPC: groups named without a VPC or subnet to place them
    /// are looked up where such a launch goes.
    pub default_vpc: bool,
}

impl Plan {
    /// Sorts each resource value into the lookup that answers it.
    pub fn add(&mut self, kind: AwsKind, value: &str) {
        let v = value.to_string();
        match kind {
            AwsKind::Image => self.images.insert(v),
            AwsKind::SecurityGroup if value.starts_with("sg-") => self.group_ids.insert(v),
            AwsKind::SecurityGroup => self.group_names.insert(v),
            AwsKind::Subnet => self.subnets.insert(v),
            AwsKind::Vpc => self.vpcs.insert(v),
            AwsKind::InstanceType => self.instance_types.insert(v),
            AwsKind::LaunchTemplate => {
                let t = crate::aws_ids::split_template_version(value).0.to_string();
                if crate::aws_ids::is_id(&t, "lt") { self.launch_template_ids.insert(t) } else { self.launch_template_names.insert(t) }
            }
            AwsKind::KeyPair => self.key_pairs.insert(v),
            AwsKind::Parameter => self.parameters.insert(v),
            // Secrets are asked by `secrets`, with the references' and valueFroms' ids; groups
            // by `launches`, a round trip before this plan.
            // Load balancers, target groups and records by `traffic`, after the other lookups.
            AwsKind::Secret | AwsKind::AutoScalingGroup | AwsKind::LoadBalancer | AwsKind::TargetGroup | AwsKind::DnsRecord => false,
        };
    }
}

/// The answers, by kind. `None`: not asked (nothing of that kind in the environment).
#[derive(Debug, Default)]
pub struct Answers {
    pub images: Option<Answer<Vec<Image>>>,
    /// Failover region -> images with the primary images' names, each with the primary owner
    /// it was looked up for (owned by that owner, or by the caller).
    pub failover_images: BTreeMap<String, Answer<Vec<OwnedImage>>>,
    pub groups_by_id: Option<Answer<Vec<SecurityGroup>>>,
    pub groups_by_name: Option<Answer<Vec<SecurityGroup>>>,
    pub subnets: Option<Answer<Vec<Subnet>>>,
    pub vpcs: Option<Answer<Vec<Vpc>>>,
    pub offerings: Option<Answer<Vec<Offering>>>,
    pub instance_types: Option<Answer<Vec<InstanceType>>>,
    pub launch_templates: Option<Answer<Vec<LaunchTemplate>>>,
    pub key_pairs: Option<Answer<Vec<KeyPair>>>,
    /// The region's default VPC (`Ok(None)`: it has none), when the plan asked.
    pub default_vpc: Option<Answer<Option<String>>>,
}

/// Whose images count as a failover twin of an image owned by `owner`: that owner (Amazon's own
/// copy of an Amazon image in the other region) and the caller's account (`self`: the copy that
/// `aws ec2 copy-image` makes). A public image that merely shares the name does not count.
pub fn failover_owners(owner: Option<&str>) -> Vec<String> {
    owner.into_iter().map(str::to_string).chain(["self".to_string()]).collect()
}

fn list(set: &BTreeSet<String>) -> Vec<String> {
    set.iter().cloned().collect()
}

/// The images of the plan, then (as soon as their names are known) the images of those names in
/// each failover region: one lookup per failover region and primary owner.
async fn images_with_failover<C: Cloud>(
    cloud: &C,
    plan: &Plan,
    deadline: Instant,
    p: &Progress,
) -> (Option<Answer<Vec<Image>>>, BTreeMap<String, Answer<Vec<OwnedImage>>>) {
    let r = plan.region.as_str();
    let opt = |set: &BTreeSet<String>| if set.is_empty() { None } else { Some(list(set)) };
    let Some(ids) = opt(&plan.images) else { return (None, BTreeMap::new()) };
    let primary = bounded(deadline, p, "ec2:DescribeImages", cloud.images(r, &ids)).await;
    let mut failover = BTreeMap::new();
    if let Ok(found) = &primary {
        // One lookup per failover region and primary owner (usually one or two owners).
        let mut by_owner: BTreeMap<Option<String>, BTreeSet<String>> = BTreeMap::new();
        for i in found {
            if let Some(name) = &i.name {
                by_owner.entry(i.owner_id.clone()).or_default().insert(name.clone());
            }
        }
        if !by_owner.is_empty() && !plan.failover_regions.is_empty() {
            let answers = join_all(plan.failover_regions.iter().map(|fr| {
                let by_owner = &by_owner;
                async move {
                    let lookups = join_all(by_owner.iter().map(|(owner, names)| async move {
                        let owners = failover_owners(owner.as_deref());
                        let found = bounded(deadline, p, "ec2:DescribeImages", cloud.images_by_name(fr, &list(names), &owners)).await?;
                        Ok(found.into_iter().map(|i| (owner.clone(), i)).collect::<Vec<_>>())
                    }))
                    .await;
                    lookups.into_iter().collect::<Answer<Vec<Vec<_>>>>().map(|v| v.into_iter().flatten().collect())
                }
            }))
            .await;
            failover = plan.failover_regions.iter().cloned().zip(answers).collect();
        }
    } else if let Err(e) = &primary {
        for fr in &plan.failover_regions {
            failover.insert(fr.clone(), Err(e.clone()));
        }
    }
    (Some(primary), failover)
}

/// Asks every lookup of the plan concurrently. Each kind is one batch (paginated); failover
/// regions are asked for the primary images' names as soon as those are known.
pub async fn run<C: Cloud>(cloud: &C, plan: &Plan, params: &mut ParameterAnswers, deadline: Instant, progress: &Progress) -> Answers {
    let r = plan.region.as_str();
    let p = progress;
    let opt = |set: &BTreeSet<String>| if set.is_empty() { None } else { Some(list(set)) };

    let images = images_with_failover(cloud, plan, deadline, p);
    let maybe = |set: &BTreeSet<String>| opt(set);
    let groups_by_id = async {
        match maybe(&plan.group_ids) {
            Some(ids) => Some(bounded(deadline, p, "ec2:DescribeSecurityGroups", cloud.security_groups(r, &ids)).await),
            None => None,
        }
    };
    let groups_by_name = async {
        match maybe(&plan.group_names) {
            Some(n) => Some(bounded(deadline, p, "ec2:DescribeSecurityGroups", cloud.security_groups_by_name(r, &n)).await),
            None => None,
        }
    };
    let subnets = async {
        match maybe(&plan.subnets) {
            Some(ids) => Some(bounded(deadline, p, "ec2:DescribeSubnets", cloud.subnets(r, &ids)).await),
            None => None,
        }
    };
    let vpcs = async {
        match maybe(&plan.vpcs) {
            Some(ids) => Some(bounded(deadline, p, "ec2:DescribeVpcs", cloud.vpcs(r, &ids)).await),
            None => None,
        }
    };
    let offerings = async {
        match maybe(&plan.instance_types) {
            Some(t) => Some(bounded(deadline, p, "ec2:DescribeInstanceTypeOfferings", cloud.offerings(r, &t)).await),
            None => None,
        }
    };
    // Architectures matter only when there are images to compare with.
    let instance_types = async {
        match maybe(&plan.instance_types) {
            Some(t) if !plan.images.is_empty() => Some(bounded(deadline, p, "ec2:DescribeInstanceTypes", cloud.instance_types(r, &t)).await),
            _ => None,
        }
    };
    let launch_templates = async {
        if plan.launch_template_ids.is_empty() && plan.launch_template_names.is_empty() {
            return None;
        }
        let (ids, names) = (list(&plan.launch_template_ids), list(&plan.launch_template_names));
        Some(bounded(deadline, p, "ec2:DescribeLaunchTemplates", cloud.launch_templates(r, &ids, &names)).await)
    };
    let key_pairs = async {
        match maybe(&plan.key_pairs) {
            Some(n) => Some(bounded(deadline, p, "ec2:DescribeKeyPairs", cloud.key_pairs(r, &n)).await),
            None => None,
        }
    };
    let default_vpc = async { if plan.default_vpc { Some(bounded(deadline, p, "ec2:DescribeVpcs", cloud.default_vpc(r)).await) } else { None } };
    let mut ssm_cache = std::mem::take(params);
    let ssm = async {
        parameters(cloud, r, &plan.parameters, &mut ssm_cache, deadline, p).await;
    };
    let ((images, failover_images), groups_by_id, groups_by_name, subnets, vpcs, offerings, instance_types, launch_templates, key_pairs, default_vpc, ()) =
        tokio::join!(images, groups_by_id, groups_by_name, subnets, vpcs, offerings, instance_types, launch_templates, key_pairs, default_vpc, ssm);
    *params = ssm_cache;
    Answers { images, failover_images, groups_by_id, groups_by_name, subnets, vpcs, offerings, instance_types, launch_templates, key_pairs, default_vpc }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_ten_names_and_never_two_references_to_one_parameter() {
        let mut names: Vec<String> = (0..25).map(|i| format!("/p/{i:02}")).collect();
        names.extend(["/p/00:1", "/p/00:prod", "/p/01:2"].map(String::from));
        names.sort();
        let batches = parameter_batches(names.clone());
        assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), names.len());
        assert_eq!(batches.len(), 3, "{batches:?}");
        for b in &batches {
            assert!(b.len() <= SSM_BATCH);
            let mut bases: Vec<&str> = b.iter().map(|n| crate::aws_ids::split_parameter_selector(n).0).collect();
            bases.sort();
            let before = bases.len();
            bases.dedup();
            assert_eq!(bases.len(), before, "two references to one parameter in {b:?}");
        }
    }

    #[test]
    fn answers_are_matched_by_name_or_arn_and_an_unmatched_one_is_never_not_found() {
        let arn = "arn:aws:ssm:us-east-1:123456789012:parameter/shared/x";
        let answer = crate::cloud::Parameters {
            found: vec![
                Parameter { name: "/a".into(), arn: None, version: Some(3), kind: "String".into(), value: Some("three".into()) },
                Parameter { name: "/shared/x".into(), arn: Some(arn.into()), version: Some(1), kind: "String".into(), value: Some("x".into()) },
            ],
            invalid: vec!["/gone".into()],
        };
        let mut cache = ParameterAnswers::default();
        let asked = ["/a:3", arn, "/gone", "/unanswered"].map(String::from).to_vec();
        record_parameters(asked, Ok(answer), &mut cache);
        assert_eq!(cache.by_name["/a:3"].as_ref().unwrap().as_ref().unwrap().value.as_deref(), Some("three"));
        assert_eq!(cache.by_name[arn].as_ref().unwrap().as_ref().unwrap().name, "/shared/x");
        assert_eq!(cache.by_name["/gone"], Ok(None));
        assert!(matches!(cache.by_name["/unanswered"], Err(CloudError::Service { .. })), "unverified, not not-found");
    }

    #[test]
    fn failover_owners_are_the_primary_owner_and_self() {
        assert_eq!(failover_owners(Some("137112412989")), ["137112412989", "self"]);
        assert_eq!(failover_owners(None), ["self"]);
    }
}
