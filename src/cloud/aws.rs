//! The only module that talks to AWS: the [`Cloud`] trait over aws-sdk-ec2, aws-sdk-ssm,
//! aws-sdk-secretsmanager (metadata only) and aws-sdk-ecs.
//!
//! - Credentials, region and endpoint come from the standard aws-config chain, so
//!   `AWS_ENDPOINT_URL` points it at an emulator with no extra flag.
//! - The SDK's default has no read timeout (a silent endpoint hangs forever): connect,
//!   per-attempt and per-operation timeouts are always set, with standard retries.
//! - Lookups use filters (`image-id`, `group-id`, ...) wherever EC2 has one: real EC2 fails a
//!   whole `ImageIds=[...]` call when one id is missing, while a filter just leaves it out.
//! - Only `Describe*` and `Get*` calls; `schemas/iam-policy.json` lists exactly these.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_ec2::config::interceptors::InterceptorContext;
use aws_sdk_ec2::config::retry::{ClassifyRetry, RetryAction};
use aws_sdk_ec2::error::DisplayErrorContext;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::Filter;

use super::{
    AliasTarget, AutoScalingGroup, Cloud, CloudError, Container, HostedZone, Image, InstanceType, KeyPair, LaunchData, LaunchTemplate, LoadBalancer, Offering,
    Parameter, Parameters, RecordSet, Secret, SecurityGroup, Subnet, TargetGroup, TaskDefinition, TemplateRef, TemplateVersion, Vpc,
};

/// EC2 filter values per call. EC2 documents up to 200 values for a filter; beyond that a
/// batch is split, so calls still grow with regions and kinds, not with variables.
pub const FILTER_CHUNK: usize = 200;

/// Timeouts for every call, derived from the run's deadline.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub attempt: Duration,
    pub operation: Duration,
    pub max_attempts: u32,
}

impl Timeouts {
    /// Sensible bounds inside a run deadline: a dead endpoint is detected in seconds, a
    /// throttled one is retried with backoff until the deadline.
    pub fn for_deadline(deadline: Duration) -> Timeouts {
        Timeouts { connect: deadline.min(Duration::from_secs(3)), attempt: deadline.min(Duration::from_secs(10)), operation: deadline, max_attempts: 8 }
    }
}

/// Stops retries where retrying cannot help a gate and only spends its deadline: a refused
/// connection (nothing listens at the endpoint), a connect timeout (packets dropped on the
/// way) and an attempt that timed out (the endpoint took the request and never answered).
/// The standard classifiers still retry throttling, 5xx answers, resets and dropped
/// connections, with backoff, within the deadline.
#[derive(Debug)]
struct FailFast;

impl ClassifyRetry for FailFast {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(err)) = ctx.output_or_error() else { return RetryAction::NoActionIndicated };
        if err.is_timeout_error() {
            return RetryAction::RetryForbidden;
        }
        if let Some(conn) = err.as_connector_error()
            && (conn.is_timeout() || refused(conn))
        {
            return RetryAction::RetryForbidden;
        }
        RetryAction::NoActionIndicated
    }

    fn name(&self) -> &'static str {
        "preflight-fail-fast"
    }
}

/// True when an error, or one of its causes, is a refused TCP connection.
fn refused(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused) {
            return true;
        }
        cur = err.source();
    }
    false
}

/// Which credentials one environment uses, on top of the standard chain (SPEC section 1).
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    /// The environment's region: where STS is asked when the chain names none.
    pub region: String,
}

impl Identity {
    pub fn of(env: &crate::config::Environment) -> Identity {
        Identity {
            profile: env.profile.as_ref().map(|p| p.get_ref().clone()),
            role_arn: env.role_arn.as_ref().map(|p| p.get_ref().clone()),
            external_id: env.external_id.as_ref().map(|p| p.get_ref().clone()),
            region: env.region.get_ref().clone(),
        }
    }
}

/// EC2 and SSM clients, one pair per region, built lazily from one shared config. One
/// `AwsCloud` serves one environment: its credentials are that environment's alone.
pub struct AwsCloud {
    base: aws_config::SdkConfig,
    ec2: Mutex<HashMap<String, aws_sdk_ec2::Client>>,
    ssm: Mutex<HashMap<String, aws_sdk_ssm::Client>>,
    sm: Mutex<HashMap<String, aws_sdk_secretsmanager::Client>>,
    ecs: Mutex<HashMap<String, aws_sdk_ecs::Client>>,
    asg: Mutex<HashMap<String, aws_sdk_autoscaling::Client>>,
    elb: Mutex<HashMap<String, aws_sdk_elasticloadbalancingv2::Client>>,
    /// Route 53 is one global API; its client is made once.
    r53: Mutex<HashMap<String, aws_sdk_route53::Client>>,
}

/// The client of one service for one region, made once.
fn regional<T: Clone>(map: &Mutex<HashMap<String, T>>, region: &str, make: impl FnOnce() -> T) -> T {
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    map.entry(region.to_string()).or_insert_with(make).clone()
}

impl AwsCloud {
    pub async fn new(t: Timeouts, id: &Identity) -> AwsCloud {
        let timeouts = TimeoutConfig::builder().connect_timeout(t.connect).operation_attempt_timeout(t.attempt).operation_timeout(t.operation).build();
        let retry =
            RetryConfig::standard().with_max_attempts(t.max_attempts).with_initial_backoff(Duration::from_millis(200)).with_max_backoff(Duration::from_secs(5));
        let loader = || {
            let mut l = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts.clone()).retry_config(retry.clone());
            if let Some(p) = &id.profile {
                l = l.profile_name(p);
            }
            l
        };
        let mut base = loader().load().await;
        let region = base.region().cloned().unwrap_or_else(|| aws_config::Region::new(id.region.clone()));
        if base.region().is_none() {
            base = loader().region(region.clone()).load().await;
        }
        // The role is assumed with aws-config's own provider (it caches and refreshes), from
        // the credentials the chain (or the profile) gives.
        if let Some(role) = &id.role_arn {
            let mut b = aws_config::sts::AssumeRoleProvider::builder(role.clone()).session_name("preflight").configure(&base);
            if let Some(x) = &id.external_id {
                b = b.external_id(x.clone());
            }
            let provider = b.build().await;
            base = loader().region(region).credentials_provider(provider).load().await;
        }
        AwsCloud {
            base,
            ec2: Mutex::default(),
            ssm: Mutex::default(),
            sm: Mutex::default(),
            ecs: Mutex::default(),
            asg: Mutex::default(),
            elb: Mutex::default(),
            r53: Mutex::default(),
        }
    }

    fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        regional(&self.ec2, region, || {
            let conf = aws_sdk_ec2::config::Builder::from(&self.base).region(aws_config::Region::new(region.to_string())).retry_classifier(FailFast).build();
            aws_sdk_ec2::Client::from_conf(conf)
        })
    }

    fn ssm(&self, region: &str) -> aws_sdk_ssm::Client {
        regional(&self.ssm, region, || {
            let conf = aws_sdk_ssm::config::Builder::from(&self.base).region(aws_config::Region::new(region.to_string())).retry_classifier(FailFast).build();
            aws_sdk_ssm::Client::from_conf(conf)
        })
    }

    fn secretsmanager(&self, region: &str) -> aws_sdk_secretsmanager::Client {
        regional(&self.sm, region, || {
            let conf = aws_sdk_secretsmanager::config::Builder::from(&self.base)
                .region(aws_config::Region::new(region.to_string()))
                .retry_classifier(FailFast)
                .build();
            aws_sdk_secretsmanager::Client::from_conf(conf)
        })
    }

    fn autoscaling(&self, region: &str) -> aws_sdk_autoscaling::Client {
        regional(&self.asg, region, || {
            let conf =
                aws_sdk_autoscaling::config::Builder::from(&self.base).region(aws_config::Region::new(region.to_string())).retry_classifier(FailFast).build();
            aws_sdk_autoscaling::Client::from_conf(conf)
        })
    }

    fn elb(&self, region: &str) -> aws_sdk_elasticloadbalancingv2::Client {
        regional(&self.elb, region, || {
            let conf = aws_sdk_elasticloadbalancingv2::config::Builder::from(&self.base)
                .region(aws_config::Region::new(region.to_string()))
                .retry_classifier(FailFast)
                .build();
            aws_sdk_elasticloadbalancingv2::Client::from_conf(conf)
        })
    }

    /// Route 53's global client (signed for us-east-1, as the SDK does for the global API).
    fn route53(&self) -> aws_sdk_route53::Client {
        regional(&self.r53, "global", || {
            let conf = aws_sdk_route53::config::Builder::from(&self.base).region(aws_config::Region::new("us-east-1")).retry_classifier(FailFast).build();
            aws_sdk_route53::Client::from_conf(conf)
        })
    }

    fn ecs(&self, region: &str) -> aws_sdk_ecs::Client {
        regional(&self.ecs, region, || {
            let conf = aws_sdk_ecs::config::Builder::from(&self.base).region(aws_config::Region::new(region.to_string())).retry_classifier(FailFast).build();
            aws_sdk_ecs::Client::from_conf(conf)
        })
    }
}

fn filter(name: &str, values: &[String]) -> Filter {
    Filter::builder().name(name).set_values(Some(values.to_vec())).build()
}

/// Sorts an SDK error into "could not ask" categories. Never "not found": that is decided
/// by absence from a successful answer.
fn classify<E>(err: &SdkError<E, aws_sdk_ec2::config::http::HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let detail = causes(err);
    match err {
        SdkError::TimeoutError(_) => CloudError::Timeout(short(&detail)),
        SdkError::DispatchFailure(d) => {
            if d.is_timeout() {
                CloudError::Timeout(short(&detail))
            } else if detail.contains("credentials") || detail.contains("identity") {
                CloudError::Denied(short(&detail))
            } else {
                CloudError::Unreachable(short(&detail))
            }
        }
        SdkError::ConstructionFailure(_) => {
            if detail.contains("credentials") || detail.contains("identity") {
                CloudError::Denied(short(&detail))
            } else {
                CloudError::Unreachable(short(&detail))
            }
        }
        _ => {
            let code = err.code().unwrap_or("Unknown").to_string();
            let message = err.message().unwrap_or("").to_string();
            match (classify_code(&code, &message, &detail), err.raw_response().map(|r| r.status().as_u16())) {
                // An answer whose error code the SDK could not read still has a status: 403
                // is a denial, 429 throttling; neither is ever "not found".
                (CloudError::Service { .. }, Some(403)) => CloudError::Denied(format!("HTTP 403: {}", short(&detail))),
                (CloudError::Service { .. }, Some(429)) => CloudError::Throttled(format!("HTTP 429: {}", short(&detail))),
                (e, _) => e,
            }
        }
    }
}

/// An error and its causes, `: `-joined ("dispatch failure: io error: ...: Connection refused
/// (os error 111)"), without the debug dump `DisplayErrorContext` appends.
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    if parts.is_empty() { DisplayErrorContext(err).to_string() } else { parts.join(": ") }
}

fn classify_code(code: &str, message: &str, detail: &str) -> CloudError {
    let msg = if message.is_empty() { short(detail) } else { format!("{code}: {message}") };
    match code {
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "AuthFailure"
        | "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "SignatureDoesNotMatch"
        | "InvalidSignatureException"
        | "OptInRequired" => CloudError::Denied(msg),
        "RequestLimitExceeded" | "Throttling" | "ThrottlingException" | "TooManyRequestsException" | "PriorRequestNotComplete" => CloudError::Throttled(msg),
        _ => CloudError::Service { code: code.to_string(), message: if message.is_empty() { short(detail) } else { message.to_string() } },
    }
}

fn short(s: &str) -> String {
    const MAX: usize = 300;
    if s.len() <= MAX {
        s.to_string()
    } else {
        let mut end = MAX;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    }
}

fn image_of(i: &aws_sdk_ec2::types::Image) -> Image {
    Image {
        id: i.image_id().unwrap_or_default().to_string(),
        name: i.name().map(str::to_string),
        state: i.state().map(|s| s.as_str().to_string()).unwrap_or_else(|| "unknown".into()),
        architecture: i.architecture().map(|a| a.as_str().to_string()),
        root_device_type: i.root_device_type().map(|d| d.as_str().to_string()),
        owner_id: i.owner_id().map(str::to_string),
        deprecation_time: i.deprecation_time().map(str::to_string),
        tags: i.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string()))).collect(),
    }
}

fn group_of(g: &aws_sdk_ec2::types::SecurityGroup) -> SecurityGroup {
    let mut rules = Vec::new();
    for (dir, perms) in [("in", g.ip_permissions()), ("out", g.ip_permissions_egress())] {
        for p in perms {
            let proto = p.ip_protocol().unwrap_or("-1");
            let ports = match (p.from_port(), p.to_port()) {
                (Some(a), Some(b)) => format!("{a}-{b}"),
                _ => "all".into(),
            };
            for r in p.ip_ranges() {
                rules.push(format!("{dir} {proto} {ports} {}", r.cidr_ip().unwrap_or("?")));
            }
            for r in p.ipv6_ranges() {
                rules.push(format!("{dir} {proto} {ports} {}", r.cidr_ipv6().unwrap_or("?")));
            }
            for r in p.prefix_list_ids() {
                rules.push(format!("{dir} {proto} {ports} pl:{}", r.prefix_list_id().unwrap_or("?")));
            }
            for r in p.user_id_group_pairs() {
                // A rule naming the group itself (members talk to each other) is `self`, so the
                // same rule on staging's and production's groups compares equal.
                let own = r.group_id().is_some() && r.group_id() == g.group_id();
                let who = if own { "self" } else { r.group_name().or(r.group_id()).unwrap_or("?") };
                rules.push(format!("{dir} {proto} {ports} group:{who}"));
            }
        }
    }
    rules.sort();
    rules.dedup();
    SecurityGroup {
        id: g.group_id().unwrap_or_default().to_string(),
        name: g.group_name().unwrap_or_default().to_string(),
        vpc_id: g.vpc_id().map(str::to_string),
        rules,
    }
}

fn parameter_of(p: &aws_sdk_ssm::types::Parameter) -> Parameter {
    let kind = p.r#type().map(|t| t.as_str().to_string()).unwrap_or_default();
    Parameter {
        name: p.name().unwrap_or_default().to_string(),
        arn: p.arn().map(str::to_string),
        version: Some(p.version()).filter(|v| *v > 0),
        value: if kind == "SecureString" { None } else { p.value().map(str::to_string) },
        kind,
    }
}

fn date(d: Option<&aws_sdk_secretsmanager::primitives::DateTime>) -> Option<String> {
    d.map(|d| d.fmt(aws_sdk_secretsmanager::primitives::DateTimeFormat::DateTime).unwrap_or_else(|_| d.secs().to_string()))
}

fn stages(map: Option<&std::collections::HashMap<String, Vec<String>>>) -> std::collections::BTreeMap<String, Vec<String>> {
    map.into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn listed_secret(s: &aws_sdk_secretsmanager::types::SecretListEntry) -> Secret {
    Secret {
        name: s.name().unwrap_or_default().to_string(),
        arn: s.arn().unwrap_or_default().to_string(),
        deleted: date(s.deleted_date()),
        versions: stages(s.secret_versions_to_stages.as_ref()),
        primary_region: s.primary_region().map(str::to_string),
    }
}

fn task_definition_of(t: &aws_sdk_ecs::types::TaskDefinition) -> TaskDefinition {
    TaskDefinition {
        arn: t.task_definition_arn().unwrap_or_default().to_string(),
        containers: t
            .container_definitions()
            .iter()
            .map(|c| Container {
                name: c.name().unwrap_or_default().to_string(),
                environment: c.environment().iter().map(|kv| (kv.name().unwrap_or_default().to_string(), kv.value().unwrap_or_default().to_string())).collect(),
                secrets: c.secrets().iter().map(|s| (s.name().to_string(), s.value_from().to_string())).collect(),
                environment_files: c.environment_files().iter().map(|f| f.value().to_string()).collect(),
            })
            .collect(),
    }
}

fn asg_of(g: &aws_sdk_autoscaling::types::AutoScalingGroup) -> AutoScalingGroup {
    let spec = g.launch_template().or_else(|| g.mixed_instances_policy().and_then(|m| m.launch_template()).and_then(|l| l.launch_template_specification()));
    AutoScalingGroup {
        name: g.auto_scaling_group_name().unwrap_or_default().to_string(),
        subnets: g.vpc_zone_identifier().unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect(),
        suspended: g.suspended_processes().iter().filter_map(|p| p.process_name().map(str::to_string)).collect(),
        max_size: g.max_size().unwrap_or(0),
        launch_template: spec.map(|t| TemplateRef {
            template: t.launch_template_id().or(t.launch_template_name()).unwrap_or_default().to_string(),
            // A group that names no version launches $Default.
            version: t.version().unwrap_or("$Default").to_string(),
        }),
        launch_configuration: g.launch_configuration_name().map(str::to_string),
        target_groups: g.target_group_arns().to_vec(),
    }
}

/// Every page of a marker-paginated listing (ELBv2's `Marker`/`NextMarker`, Route 53's
/// `Marker`/`NextMarker` with `IsTruncated`): `ask` gets the marker and answers one page's items
/// and the next marker. An empty marker ends the listing as a missing one does.
async fn marker_pages<T, F, Fut>(mut ask: F) -> Result<Vec<T>, CloudError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), CloudError>>,
{
    let (mut out, mut marker) = (Vec::new(), None);
    loop {
        let (items, next) = ask(marker.take()).await?;
        out.extend(items);
        match next.filter(|m| !m.is_empty()) {
            Some(m) => marker = Some(m),
            None => return Ok(out),
        }
    }
}

/// Every item of a filtered listing, asked for `size` values at a time (an EC2 filter takes at
/// most [`FILTER_CHUNK`] values, Auto Scaling 100 names): `ask` lists one chunk over all of its
/// pages (a paginator's `items().send().try_collect()`), `of` converts each item. The one
/// chunk-and-paginate loop of every batched lookup, so chunking and error sorting are written once.
async fn in_chunks<'a, I, T, E, Fut>(values: &'a [String], size: usize, ask: impl Fn(&'a [String]) -> Fut, of: impl Fn(&I) -> T) -> Result<Vec<T>, CloudError>
where
    Fut: std::future::Future<Output = Result<Vec<I>, SdkError<E, aws_sdk_ec2::config::http::HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut out = Vec::new();
    for chunk in values.chunks(size) {
        out.extend(ask(chunk).await.map_err(|e| classify(&e))?.iter().map(&of));
    }
    Ok(out)
}

fn subnet_of(s: &aws_sdk_ec2::types::Subnet) -> Subnet {
    Subnet {
        id: s.subnet_id().unwrap_or_default().to_string(),
        vpc_id: s.vpc_id().map(str::to_string),
        availability_zone: s.availability_zone().map(str::to_string),
        public: s.map_public_ip_on_launch().unwrap_or(false),
    }
}

fn offering_of(o: &aws_sdk_ec2::types::InstanceTypeOffering) -> Offering {
    Offering { instance_type: o.instance_type().map(|t| t.as_str().to_string()).unwrap_or_default(), zone: o.location().unwrap_or_default().to_string() }
}

fn instance_type_of(t: &aws_sdk_ec2::types::InstanceTypeInfo) -> InstanceType {
    InstanceType {
        name: t.instance_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
        architectures: t.processor_info().map(|p| p.supported_architectures().iter().map(|a| a.as_str().to_string()).collect()).unwrap_or_default(),
    }
}

fn template_of(t: &aws_sdk_ec2::types::LaunchTemplate) -> LaunchTemplate {
    LaunchTemplate { id: t.launch_template_id().unwrap_or_default().to_string(), name: t.launch_template_name().unwrap_or_default().to_string() }
}

fn load_balancer_of(l: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer) -> LoadBalancer {
    LoadBalancer {
        arn: l.load_balancer_arn().unwrap_or_default().to_string(),
        name: l.load_balancer_name().unwrap_or_default().to_string(),
        dns_name: l.dns_name().unwrap_or_default().to_string(),
        vpc_id: l.vpc_id().map(str::to_string),
        state: l.state().and_then(|s| s.code()).map(|c| c.as_str().to_string()).unwrap_or_default(),
        kind: l.r#type().map(|t| t.as_str().to_string()).unwrap_or_default(),
        scheme: l.scheme().map(|s| s.as_str().to_string()),
        ip_address_type: l.ip_address_type().map(|t| t.as_str().to_string()),
        zones: l.availability_zones().iter().filter_map(|z| z.zone_name().map(str::to_string)).collect(),
    }
}

fn target_group_of(t: &aws_sdk_elasticloadbalancingv2::types::TargetGroup) -> TargetGroup {
    TargetGroup {
        arn: t.target_group_arn().unwrap_or_default().to_string(),
        name: t.target_group_name().unwrap_or_default().to_string(),
        vpc_id: t.vpc_id().map(str::to_string),
        protocol: t.protocol().map(|p| p.as_str().to_string()),
        port: t.port(),
        target_type: t.target_type().map(|p| p.as_str().to_string()),
        health_check_path: t.health_check_path().map(str::to_string),
        load_balancers: t.load_balancer_arns().to_vec(),
    }
}

/// A DNS name as preflight compares it: lowercase, no trailing dot, Route 53's `\052` as `*`.
pub fn dns_name(s: &str) -> String {
    s.trim_end_matches('.').replace("\\052", "*").to_ascii_lowercase()
}

fn record_set_of(r: &aws_sdk_route53::types::ResourceRecordSet) -> RecordSet {
    let routing = if r.failover().is_some() {
        "failover"
    } else if r.weight().is_some() {
        "weighted"
    } else if r.region().is_some() {
        "latency"
    } else if r.geo_location().is_some() {
        "geolocation"
    } else if r.geo_proximity_location().is_some() {
        "geoproximity"
    } else if r.multi_value_answer().is_some() {
        "multivalue"
    } else if r.cidr_routing_config().is_some() {
        "cidr"
    } else {
        "simple"
    };
    RecordSet {
        name: dns_name(r.name()),
        kind: r.r#type().as_str().to_string(),
        set_identifier: r.set_identifier().map(str::to_string),
        failover: r.failover().map(|f| f.as_str().to_string()),
        routing: routing.to_string(),
        alias: r.alias_target().map(|a| AliasTarget {
            dns_name: dns_name(a.dns_name()),
            zone_id: a.hosted_zone_id().to_string(),
            evaluate_target_health: a.evaluate_target_health(),
        }),
        values: r.resource_records().iter().map(|v| v.value().to_string()).collect(),
        health_check: r.health_check_id().map(str::to_string),
    }
}

fn version_of(v: &aws_sdk_ec2::types::LaunchTemplateVersion) -> TemplateVersion {
    let d = v.launch_template_data();
    let interfaces = d.map(|d| d.network_interfaces()).unwrap_or_default();
    TemplateVersion {
        template_id: v.launch_template_id().unwrap_or_default().to_string(),
        template_name: v.launch_template_name().unwrap_or_default().to_string(),
        number: v.version_number().unwrap_or(0),
        default: v.default_version().unwrap_or(false),
        data: LaunchData {
            image_id: d.and_then(|d| d.image_id()).map(str::to_string),
            instance_type: d.and_then(|d| d.instance_type()).map(|t| t.as_str().to_string()),
            key_name: d.and_then(|d| d.key_name()).map(str::to_string),
            security_group_ids: d
                .map(|d| d.security_group_ids().to_vec())
                .unwrap_or_default()
                .into_iter()
                .chain(interfaces.iter().flat_map(|n| n.groups().iter().cloned()))
                .collect(),
            security_groups: d.map(|d| d.security_groups().to_vec()).unwrap_or_default(),
            subnets: interfaces.iter().filter_map(|n| n.subnet_id().map(str::to_string)).collect(),
            instance_profile: d.and_then(|d| d.iam_instance_profile()).and_then(|p| p.arn().or(p.name())).map(str::to_string),
            snapshots: d
                .map(|d| d.block_device_mappings())
                .unwrap_or_default()
                .iter()
                .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(str::to_string))
                .collect(),
        },
    }
}

impl Cloud for AwsCloud {
    async fn caller_account(&self) -> Result<Option<String>, CloudError> {
        let conf = aws_sdk_sts::config::Builder::from(&self.base).retry_classifier(FailFast).build();
        let out = aws_sdk_sts::Client::from_conf(conf).get_caller_identity().send().await.map_err(|e| classify(&e))?;
        Ok(out.account().map(str::to_string))
    }

    async fn images(&self, region: &str, ids: &[String]) -> Result<Vec<Image>, CloudError> {
        let client = self.ec2(region);
        let ask = |chunk| {
            client
                .describe_images()
                .filters(filter("image-id", chunk))
                .include_deprecated(true)
                .include_disabled(true)
                .into_paginator()
                .items()
                .send()
                .try_collect()
        };
        in_chunks(ids, FILTER_CHUNK, ask, image_of).await
    }

    async fn images_by_name(&self, region: &str, names: &[String], owners: &[String]) -> Result<Vec<Image>, CloudError> {
        let client = self.ec2(region);
        let ask = |chunk| {
            let owners = Some(owners.to_vec());
            client.describe_images().set_owners(owners).filters(filter("name", chunk)).include_deprecated(true).into_paginator().items().send().try_collect()
        };
        in_chunks(names, FILTER_CHUNK, ask, image_of).await
    }

    async fn security_groups(&self, region: &str, ids: &[String]) -> Result<Vec<SecurityGroup>, CloudError> {
        let client = self.ec2(region);
        let ask = |chunk| client.describe_security_groups().filters(filter("group-id", chunk)).into_paginator().items().send().try_collect();
        in_chunks(ids, FILTER_CHUNK, ask, group_of).await
    }

    async fn security_groups_by_name(&self, region: &str, names: &[String]) -> Result<Vec<SecurityGroup>, CloudError> {
        let client = self.ec2(region);
        let ask = |chunk| client.describe_security_groups().filters(filter("group-name", chunk)).into_paginator().items().send().try_collect();
        in_chunks(names, FILTER_CHUNK, ask, group_of).await
    }

    async fn subnets(&self, region: &str, ids: &[String]) -> Result<Vec<Subnet>, CloudError> {
        let client = self.ec2(region);
        let ask = |chunk| client.describe_subnets().filters(filter("subnet-id", chunk)).into_paginator().items().send().try_collect();
        in_chunks(ids, FILTER_CHUNK, ask, subnet_of).await
    }

    async fn vpcs(&self, region: &str, ids: &[String]) -> Result<Vec<Vpc>, CloudError> {
        let client = self.ec2(region);
        let ask = |chunk| client.describe_vpcs().filters(filter("vpc-id", chunk)).into_paginator().items().send().try_collect();
        in_chunks(ids, FILTER_CHUNK, ask, |v: &aws_sdk_ec2::types::Vpc| Vpc { id: v.vpc_id().unwrap_or_default().to_string() }).await
    }

    async fn default_vpc(&self, region: &str) -> Result<Option<String>, CloudError> {
        let r = self.ec2(region).describe_vpcs().filters(filter("is-default", &["true".to_string()])).send().await.map_err(|e| classify(&e))?;
        Ok(r.vpcs().iter().find_map(|v| v.vpc_id().map(str::to_string)))
    }

    async fn offerings(&self, region: &str, types: &[String]) -> Result<Vec<Offering>, CloudError> {
        let client = self.ec2(region);
        let ask = |chunk| {
            let zones = aws_sdk_ec2::types::LocationType::AvailabilityZone;
            client.describe_instance_type_offerings().location_type(zones).filters(filter("instance-type", chunk)).into_paginator().items().send().try_collect()
        };
        in_chunks(types, FILTER_CHUNK, ask, offering_of).await
    }

    async fn instance_types(&self, region: &str, types: &[String]) -> Result<Vec<InstanceType>, CloudError> {
        let client = self.ec2(region);
        let ask = |chunk| client.describe_instance_types().filters(filter("instance-type", chunk)).into_paginator().items().send().try_collect();
        in_chunks(types, FILTER_CHUNK, ask, instance_type_of).await
    }

    async fn launch_templates(&self, region: &str, ids: &[String], names: &[String]) -> Result<Vec<LaunchTemplate>, CloudError> {
        let client = self.ec2(region);
        // An explicit page size: moto's default page (15) comes without a NextToken.
        let ask = |chunk| {
            client.describe_launch_templates().filters(filter("launch-template-name", chunk)).max_results(200).into_paginator().items().send().try_collect()
        };
        let mut out = in_chunks(names, FILTER_CHUNK, ask, template_of).await?;
        if ids.is_empty() {
            return Ok(out);
        }
        // EC2 has no id filter for launch templates, and rejects the whole call when one id is
        // missing: ask for all at once, and only when some id is not in the answer (NotFound, or
        // a short answer, as moto gives past 15) list the region's templates in pages of 200 and
        // keep the ids asked for. Calls then grow with the templates the account has, never
        // with the number of variables, and absence is only concluded from a full listing.
        let all = client.describe_launch_templates().set_launch_template_ids(Some(ids.to_vec())).send().await;
        match all {
            Ok(r) => out.extend(r.launch_templates().iter().map(template_of)),
            Err(e) if e.code().is_some_and(|c| c.contains("NotFound") || c.contains("Malformed")) => {}
            Err(e) => return Err(classify(&e)),
        }
        let missing: Vec<&String> = ids.iter().filter(|id| !out.iter().any(|t| &t.id == *id)).collect();
        if !missing.is_empty() {
            let mut pages = client.describe_launch_templates().max_results(200).into_paginator().items().send();
            while let Some(item) = pages.next().await {
                let t = template_of(&item.map_err(|e| classify(&e))?);
                if missing.contains(&&t.id) {
                    out.push(t);
                }
            }
        }
        Ok(out)
    }

    async fn key_pairs(&self, region: &str, names: &[String]) -> Result<Vec<KeyPair>, CloudError> {
        let client = self.ec2(region);
        let mut out: Vec<KeyPair> = Vec::new();
        // Values shaped like a key pair id (key-0123456789abcdef0) are also asked for by id; a
        // name may look like that too, so they stay in the name lookup as well.
        let ids: Vec<String> = names.iter().filter(|n| crate::aws_ids::is_id(n, "key")).cloned().collect();
        let lookups = names.chunks(FILTER_CHUNK).map(|c| ("key-name", c)).chain(ids.chunks(FILTER_CHUNK).map(|c| ("key-pair-id", c)));
        for (by, chunk) in lookups {
            let r = client.describe_key_pairs().filters(filter(by, chunk)).send().await.map_err(|e| classify(&e))?;
            for k in r.key_pairs() {
                let pair = KeyPair { id: k.key_pair_id().map(str::to_string), name: k.key_name().unwrap_or_default().to_string() };
                if !out.contains(&pair) {
                    out.push(pair);
                }
            }
        }
        Ok(out)
    }

    async fn parameters(&self, region: &str, names: &[String]) -> Result<Parameters, CloudError> {
        let r = self.ssm(region).get_parameters().set_names(Some(names.to_vec())).with_decryption(false).send().await.map_err(|e| classify(&e))?;
        Ok(Parameters { found: r.parameters().iter().map(parameter_of).collect(), invalid: r.invalid_parameters().to_vec() })
    }

    async fn auto_scaling_groups(&self, region: &str, names: &[String]) -> Result<Vec<AutoScalingGroup>, CloudError> {
        let client = self.autoscaling(region);
        let ask = |chunk: &[String]| {
            client.describe_auto_scaling_groups().set_auto_scaling_group_names(Some(chunk.to_vec())).into_paginator().items().send().try_collect()
        };
        in_chunks(names, 100, ask, asg_of).await
    }

    async fn launch_template_versions(&self, region: &str, template: &str, versions: &[String]) -> Result<Vec<TemplateVersion>, CloudError> {
        let client = self.ec2(region);
        let ask = |versions: Vec<String>| {
            let mut r = client.describe_launch_template_versions().set_versions(Some(versions));
            r = if crate::aws_ids::is_id(template, "lt") { r.launch_template_id(template) } else { r.launch_template_name(template) };
            async move {
                let mut out = Vec::new();
                let mut pages = r.into_paginator().send();
                while let Some(page) = pages.next().await {
                    out.extend(page?.launch_template_versions().iter().map(version_of));
                }
                Ok::<_, aws_sdk_ec2::error::SdkError<_, _>>(out)
            }
        };
        match ask(versions.to_vec()).await {
            Ok(v) => Ok(v),
            // The template itself does not exist.
            Err(e) if e.code().is_some_and(|c| c.contains("NotFound") && !c.contains("Version")) => Ok(Vec::new()),
            // One version that does not exist fails the whole call: ask for each on its own, so
            // the others are still answered (calls grow only in this error case).
            Err(e) if e.code().is_some_and(|c| c.contains("VersionNotFound")) => {
                // One version asked on its own; a version that does not exist is left out.
                let one = |v: String| async move {
                    match ask(vec![v]).await {
                        Ok(found) => Ok(found),
                        Err(e) if e.code().is_some_and(|c| c.contains("NotFound")) => Ok(Vec::new()),
                        Err(e) => Err(classify(&e)),
                    }
                };
                let mut out = Vec::new();
                for v in versions {
                    out.extend(one(v.clone()).await?);
                }
                // None of the versions exists, but the template does (VersionNotFound): answer
                // its `$Latest` too, so the answer says the template is there and only the
                // version is missing.
                if out.is_empty() {
                    out = one("$Latest".to_string()).await?;
                }
                Ok(out)
            }
            Err(e) => Err(classify(&e)),
        }
    }

    async fn load_balancers(&self, region: &str) -> Result<Vec<LoadBalancer>, CloudError> {
        let client = self.elb(region);
        marker_pages(|marker| {
            let req = client.describe_load_balancers().page_size(400).set_marker(marker);
            async move {
                let page = req.send().await.map_err(|e| classify(&e))?;
                Ok((page.load_balancers().iter().map(load_balancer_of).collect(), page.next_marker().map(str::to_string)))
            }
        })
        .await
    }

    async fn target_groups(&self, region: &str) -> Result<Vec<TargetGroup>, CloudError> {
        let client = self.elb(region);
        marker_pages(|marker| {
            let req = client.describe_target_groups().page_size(400).set_marker(marker);
            async move {
                let page = req.send().await.map_err(|e| classify(&e))?;
                Ok((page.target_groups().iter().map(target_group_of).collect(), page.next_marker().map(str::to_string)))
            }
        })
        .await
    }

    async fn hosted_zones(&self) -> Result<Vec<HostedZone>, CloudError> {
        let client = self.route53();
        marker_pages(|marker| {
            let req = client.list_hosted_zones().set_marker(marker);
            async move {
                let page = req.send().await.map_err(|e| classify(&e))?;
                let zones = page.hosted_zones().iter().map(|z| HostedZone {
                    id: z.id().trim_start_matches("/hostedzone/").to_string(),
                    name: dns_name(z.name()),
                    private: z.config().is_some_and(|c| c.private_zone()),
                    record_count: z.resource_record_set_count().unwrap_or(0),
                });
                Ok((zones.collect(), page.next_marker().filter(|_| page.is_truncated()).map(str::to_string)))
            }
        })
        .await
    }

    async fn record_sets(&self, zone: &str, name: Option<&str>) -> Result<Vec<RecordSet>, CloudError> {
        let client = self.route53();
        let wanted = name.map(dns_name);
        let mut out = Vec::new();
        let mut start: Option<(String, Option<aws_sdk_route53::types::RrType>, Option<String>)> = name.map(|n| (n.to_string(), None, None));
        loop {
            let mut req = client.list_resource_record_sets().hosted_zone_id(zone);
            if let Some((n, t, id)) = start.take() {
                req = req.start_record_name(n).set_start_record_type(t).set_start_record_identifier(id);
            }
            let page = req.send().await.map_err(|e| classify(&e))?;
            let sets: Vec<RecordSet> = page.resource_record_sets().iter().map(record_set_of).collect();
            // Asked from one name: the listing runs on into the names after it; stop there.
            let past = wanted.as_ref().is_some_and(|w| sets.iter().any(|s| &s.name != w));
            out.extend(sets.into_iter().filter(|s| wanted.as_ref().is_none_or(|w| &s.name == w)));
            match page.next_record_name() {
                Some(n) if page.is_truncated() && !past => {
                    start = Some((n.to_string(), page.next_record_type().cloned(), page.next_record_identifier().map(str::to_string)))
                }
                _ => return Ok(out),
            }
        }
    }

    async fn health_checks(&self) -> Result<Vec<String>, CloudError> {
        let client = self.route53();
        marker_pages(|marker| {
            let req = client.list_health_checks().set_marker(marker);
            async move {
                let page = req.send().await.map_err(|e| classify(&e))?;
                Ok((page.health_checks().iter().map(|h| h.id().to_string()).collect(), page.next_marker().filter(|_| page.is_truncated()).map(str::to_string)))
            }
        })
        .await
    }

    async fn secrets(&self, region: &str, names: &[String]) -> Result<Vec<Secret>, CloudError> {
        let filter = aws_sdk_secretsmanager::types::Filter::builder()
            .key(aws_sdk_secretsmanager::types::FilterNameStringType::Name)
            .set_values(Some(names.to_vec()))
            .build();
        let listed = self.secretsmanager(region).list_secrets().filters(filter).include_planned_deletion(true).max_results(100).into_paginator().send();
        Ok(listed.try_collect().await.map_err(|e| classify(&e))?.iter().flat_map(|page| page.secret_list()).map(listed_secret).collect())
    }

    async fn secret(&self, region: &str, id: &str) -> Result<Option<Secret>, CloudError> {
        match self.secretsmanager(region).describe_secret().secret_id(id).send().await {
            Ok(d) => Ok(Some(Secret {
                name: d.name().unwrap_or_default().to_string(),
                arn: d.arn().unwrap_or_default().to_string(),
                deleted: date(d.deleted_date()),
                versions: stages(d.version_ids_to_stages.as_ref()),
                primary_region: d.primary_region().map(str::to_string),
            })),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(classify(&e)),
        }
    }

    async fn task_definition(&self, region: &str, id: &str) -> Result<Option<TaskDefinition>, CloudError> {
        match self.ecs(region).describe_task_definition().task_definition(id).send().await {
            Ok(d) => Ok(d.task_definition().map(task_definition_of)),
            // ECS answers a revision it does not have with a ClientException ("Unable to
            // describe task definition"); other client errors say something else.
            Err(e) if e.code() == Some("ClientException") && e.message().is_some_and(|m| m.contains("Unable to describe task definition")) => Ok(None),
            Err(e) => Err(classify(&e)),
        }
    }

    async fn parameters_by_path(&self, region: &str, path: &str) -> Result<Vec<Parameter>, CloudError> {
        let listed = self.ssm(region).get_parameters_by_path().path(path).recursive(true).with_decryption(false).max_results(10).into_paginator().send();
        Ok(listed.try_collect().await.map_err(|e| classify(&e))?.iter().flat_map(|page| page.parameters()).map(parameter_of).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_is_found_among_the_causes() {
        #[derive(Debug)]
        struct Wrap(std::io::Error);
        impl std::fmt::Display for Wrap {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "tcp connect error")
            }
        }
        impl std::error::Error for Wrap {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let refused_err = Wrap(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused"));
        assert!(refused(&refused_err));
        assert!(!refused(&Wrap(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset"))));
        assert_eq!(causes(&refused_err), "tcp connect error: Connection refused");
    }

    #[test]
    fn codes_are_sorted_into_kinds() {
        assert!(matches!(classify_code("UnauthorizedOperation", "no", ""), CloudError::Denied(_)));
        assert!(matches!(classify_code("AccessDeniedException", "no", ""), CloudError::Denied(_)));
        assert!(matches!(classify_code("RequestLimitExceeded", "slow down", ""), CloudError::Throttled(_)));
        assert!(matches!(classify_code("ThrottlingException", "slow down", ""), CloudError::Throttled(_)));
        assert!(matches!(classify_code("InternalError", "boom", ""), CloudError::Service { .. }));
    }

    #[test]
    fn timeouts_fit_inside_the_deadline() {
        let t = Timeouts::for_deadline(Duration::from_secs(2));
        assert!(t.connect <= Duration::from_secs(2) && t.attempt <= Duration::from_secs(2));
        assert_eq!(t.operation, Duration::from_secs(2));
    }
}
