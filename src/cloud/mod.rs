//! The cloud, as the checks see it: a small trait that answers in domain terms (which of these
//! images exist and what are they), never in SDK types. `aws.rs` is the only module that
//! imports the AWS SDK; unit tests use a fake built from plain data.
//!
//! Every method takes one region and a batch; the caller (`crate::live`) does the batching,
//! deduplication, concurrency and the run's deadline. "Not in the answer" means "does not
//! exist"; any error means "could not ask", which is never a finding, only unverified.

pub mod aws;

use std::collections::BTreeMap;
use std::fmt;

/// An image as DescribeImages reports it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Image {
    pub id: String,
    pub name: Option<String>,
    pub state: String,
    pub architecture: Option<String>,
    pub root_device_type: Option<String>,
    pub owner_id: Option<String>,
    /// ISO 8601, as EC2 gives it.
    pub deprecation_time: Option<String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub vpc_id: Option<String>,
    /// Normalised rules (`in tcp 443-443 from 0.0.0.0/0`), sorted; referenced groups by name.
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: Option<String>,
    pub availability_zone: Option<String>,
    pub public: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vpc {
    pub id: String,
}

/// Where an instance type is offered: one availability zone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Offering {
    pub instance_type: String,
    pub zone: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstanceType {
    pub name: String,
    pub architectures: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LaunchTemplate {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyPair {
    pub id: Option<String>,
    pub name: String,
}

/// A parameter. `value` is `None` for a SecureString: preflight never decrypts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parameter {
    pub name: String,
    /// The parameter's ARN, when SSM gives it (a parameter shared from another account is asked
    /// for by ARN, and may be answered under its plain name).
    pub arn: Option<String>,
    /// The parameter's version: readable without decrypting, so a rotated SecureString changes
    /// the fingerprint though its value is never read.
    pub version: Option<i64>,
    pub kind: String,
    pub value: Option<String>,
}

/// The answer to GetParameters: what exists, and which requested names do not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parameters {
    pub found: Vec<Parameter>,
    pub invalid: Vec<String>,
}

/// A Secrets Manager secret's metadata, as ListSecrets or DescribeSecret give it. Never its
/// value: preflight makes no call that returns one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Secret {
    pub name: String,
    pub arn: String,
    /// Set when the secret is scheduled for deletion (the date it will be deleted on).
    pub deleted: Option<String>,
    /// Version id -> its staging labels (`AWSCURRENT`, `AWSPREVIOUS`, custom ones).
    pub versions: BTreeMap<String, Vec<String>>,
    /// For a replica, the region of its primary.
    pub primary_region: Option<String>,
}

impl Secret {
    /// The version a stage label points at.
    pub fn version_with_stage(&self, stage: &str) -> Option<&str> {
        self.versions.iter().find(|(_, stages)| stages.iter().any(|s| s == stage)).map(|(id, _)| id.as_str())
    }
}

/// One container of a registered ECS task definition (DescribeTaskDefinition).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Container {
    pub name: String,
    /// `environment` entries, in order.
    pub environment: Vec<(String, String)>,
    /// `secrets` entries: (name, valueFrom).
    pub secrets: Vec<(String, String)>,
    /// `environmentFiles[].value`: S3 object ARNs.
    pub environment_files: Vec<String>,
}

/// A registered task definition revision.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskDefinition {
    pub arn: String,
    pub containers: Vec<Container>,
}

/// An Auto Scaling group as DescribeAutoScalingGroups reports it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AutoScalingGroup {
    pub name: String,
    /// The subnets of its `VPCZoneIdentifier`.
    pub subnets: Vec<String>,
    /// Suspended processes (`Launch`, `Terminate`, ...).
    pub suspended: Vec<String>,
    pub max_size: i32,
    /// The launch template it launches from (directly or in a mixed instances policy).
    pub launch_template: Option<TemplateRef>,
    pub launch_configuration: Option<String>,
    pub target_groups: Vec<String>,
}

/// A launch template and version, as a group or a value names it: an id (`lt-...`) or a name,
/// and `$Default`, `$Latest` or a number.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct TemplateRef {
    pub template: String,
    pub version: String,
}

/// What a launch template version launches: the fields preflight checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LaunchData {
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
    pub key_name: Option<String>,
    pub security_group_ids: Vec<String>,
    pub security_groups: Vec<String>,
    /// Subnets of its network interfaces.
    pub subnets: Vec<String>,
    /// The instance profile it names (ARN or name): listed as not checked.
    pub instance_profile: Option<String>,
    /// Snapshots its block-device mappings restore: listed as not checked.
    pub snapshots: Vec<String>,
}

/// One launch template version (DescribeLaunchTemplateVersions).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateVersion {
    pub template_id: String,
    pub template_name: String,
    pub number: i64,
    pub default: bool,
    pub data: LaunchData,
}

/// A load balancer as DescribeLoadBalancers reports it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    pub vpc_id: Option<String>,
    /// `active`, `provisioning`, `active_impaired` or `failed`.
    pub state: String,
    /// `application`, `network` or `gateway`.
    pub kind: String,
    pub scheme: Option<String>,
    pub ip_address_type: Option<String>,
    /// The Availability Zones it serves.
    pub zones: Vec<String>,
}

/// A target group as DescribeTargetGroups reports it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    pub vpc_id: Option<String>,
    pub protocol: Option<String>,
    pub port: Option<i32>,
    pub target_type: Option<String>,
    pub health_check_path: Option<String>,
    /// The load balancers whose listeners or rules forward to it.
    pub load_balancers: Vec<String>,
}

/// A Route 53 hosted zone (ListHostedZones).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostedZone {
    /// Without the `/hostedzone/` prefix.
    pub id: String,
    /// Lowercase, without the trailing dot.
    pub name: String,
    pub private: bool,
    pub record_count: i64,
}

/// Where an alias record set sends its queries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AliasTarget {
    pub dns_name: String,
    pub zone_id: String,
    pub evaluate_target_health: bool,
}

/// One record set (ListResourceRecordSets).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordSet {
    /// Lowercase, without the trailing dot, `\052` read as `*`.
    pub name: String,
    /// `A`, `AAAA`, `CNAME`, ...
    pub kind: String,
    pub set_identifier: Option<String>,
    /// `PRIMARY` or `SECONDARY` for a failover record set.
    pub failover: Option<String>,
    /// `simple`, `failover`, `weighted`, `latency`, `geolocation`, `geoproximity`, `multivalue`
    /// or `cidr`.
    pub routing: String,
    pub alias: Option<AliasTarget>,
    /// The resource records' values (a CNAME's target, addresses).
    pub values: Vec<String>,
    pub health_check: Option<String>,
}

/// Why a lookup could not complete. Each becomes an `unverified` entry (exit 3), never a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloudError {
    /// Credentials missing, expired, or the call was not authorised.
    Denied(String),
    /// Throttled past the retries and the deadline.
    Throttled(String),
    /// The run's deadline, or a per-attempt timeout, ran out.
    Timeout(String),
    /// The endpoint could not be reached (refused, DNS, TLS, connection reset).
    Unreachable(String),
    /// Any other error the service answered with.
    Service { code: String, message: String },
}

impl fmt::Display for CloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloudError::Denied(m) => write!(f, "access denied or no usable credentials: {m}"),
            CloudError::Throttled(m) => write!(f, "throttled past the retries: {m}"),
            CloudError::Timeout(m) => write!(f, "timed out: {m}"),
            CloudError::Unreachable(m) => write!(f, "endpoint unreachable: {m}"),
            CloudError::Service { code, message } => write!(f, "{code}: {message}"),
        }
    }
}

fn unsupported(action: &str) -> CloudError {
    CloudError::Service { code: "Unsupported".into(), message: format!("this cloud does not answer {action}") }
}

/// Read-only lookups in one region. Implementations must only call `Describe*`/`Get*`.
#[allow(async_fn_in_trait)]
pub trait Cloud: Sync {
    /// Images with these ids (visible to the caller), including deprecated and disabled ones.
    async fn images(&self, region: &str, ids: &[String]) -> Result<Vec<Image>, CloudError>;
    /// Images with these exact names owned by one of `owners` (account ids, or `self`), for
    /// failover regions: a public image that only shares the name is not a twin.
    async fn images_by_name(&self, region: &str, names: &[String], owners: &[String]) -> Result<Vec<Image>, CloudError>;
    async fn security_groups(&self, region: &str, ids: &[String]) -> Result<Vec<SecurityGroup>, CloudError>;
    /// Groups with these names, in any VPC of the region.
    async fn security_groups_by_name(&self, region: &str, names: &[String]) -> Result<Vec<SecurityGroup>, CloudError>;
    async fn subnets(&self, region: &str, ids: &[String]) -> Result<Vec<Subnet>, CloudError>;
    async fn vpcs(&self, region: &str, ids: &[String]) -> Result<Vec<Vpc>, CloudError>;
    /// The id of the region's default VPC, if it has one.
    async fn default_vpc(&self, region: &str) -> Result<Option<String>, CloudError>;
    /// The zones of the region where each of these types is offered.
    async fn offerings(&self, region: &str, types: &[String]) -> Result<Vec<Offering>, CloudError>;
    /// Supported architectures of these types.
    async fn instance_types(&self, region: &str, types: &[String]) -> Result<Vec<InstanceType>, CloudError>;
    /// Launch templates by id and by name. Ids are asked for by parameter, which real EC2
    /// rejects whole when one is missing; the implementation handles that.
    async fn launch_templates(&self, region: &str, ids: &[String], names: &[String]) -> Result<Vec<LaunchTemplate>, CloudError>;
    async fn key_pairs(&self, region: &str, names: &[String]) -> Result<Vec<KeyPair>, CloudError>;
    /// At most 10 names (the API's limit).
    async fn parameters(&self, region: &str, names: &[String]) -> Result<Parameters, CloudError>;
    /// Every parameter under `path`, recursively.
    async fn parameters_by_path(&self, region: &str, path: &str) -> Result<Vec<Parameter>, CloudError>;
    /// Secrets whose names start with one of these (at most 10: the API's limit per filter),
    /// including those scheduled for deletion. ListSecrets with a `name` filter: metadata only.
    async fn secrets(&self, region: &str, names: &[String]) -> Result<Vec<Secret>, CloudError> {
        let _ = (region, names);
        Err(unsupported("secretsmanager:ListSecrets"))
    }
    /// One secret by ARN (another account's, or one a name listing cannot find): DescribeSecret.
    /// `Ok(None)` when it does not exist.
    async fn secret(&self, region: &str, id: &str) -> Result<Option<Secret>, CloudError> {
        let _ = (region, id);
        Err(unsupported("secretsmanager:DescribeSecret"))
    }
    /// A registered task definition (`family:revision`, `family` for the latest, or an ARN).
    /// `Ok(None)` when there is no such revision.
    async fn task_definition(&self, region: &str, id: &str) -> Result<Option<TaskDefinition>, CloudError> {
        let _ = (region, id);
        Err(unsupported("ecs:DescribeTaskDefinition"))
    }
    /// Auto Scaling groups with these names (at most 100: the API's limit per call).
    async fn auto_scaling_groups(&self, region: &str, names: &[String]) -> Result<Vec<AutoScalingGroup>, CloudError> {
        let _ = (region, names);
        Err(unsupported("autoscaling:DescribeAutoScalingGroups"))
    }
    /// These versions (`$Default`, `$Latest`, numbers) of one launch template (an id or a
    /// name). A template that does not exist answers `Ok(vec![])`; a version that does not
    /// exist is left out, and when none of them exists the answer holds the template's
    /// `$Latest` (so an empty answer always means the template itself is missing).
    async fn launch_template_versions(&self, region: &str, template: &str, versions: &[String]) -> Result<Vec<TemplateVersion>, CloudError> {
        let _ = (region, template, versions);
        Err(unsupported("ec2:DescribeLaunchTemplateVersions"))
    }
    /// Every load balancer of the region (DescribeLoadBalancers, paginated): real ELBv2 fails a
    /// whole `Names=` call over one missing name, so preflight lists and compares.
    async fn load_balancers(&self, region: &str) -> Result<Vec<LoadBalancer>, CloudError> {
        let _ = region;
        Err(unsupported("elasticloadbalancing:DescribeLoadBalancers"))
    }
    /// Every target group of the region (DescribeTargetGroups, paginated).
    async fn target_groups(&self, region: &str) -> Result<Vec<TargetGroup>, CloudError> {
        let _ = region;
        Err(unsupported("elasticloadbalancing:DescribeTargetGroups"))
    }
    /// Every hosted zone of the account (Route 53 is global).
    async fn hosted_zones(&self) -> Result<Vec<HostedZone>, CloudError> {
        Err(unsupported("route53:ListHostedZones"))
    }
    /// The record sets of one name in a zone (ListResourceRecordSets starting at that name),
    /// or, with `name` `None`, every record set of the zone.
    async fn record_sets(&self, zone: &str, name: Option<&str>) -> Result<Vec<RecordSet>, CloudError> {
        let _ = (zone, name);
        Err(unsupported("route53:ListResourceRecordSets"))
    }
    /// The ids of every health check of the account.
    async fn health_checks(&self) -> Result<Vec<String>, CloudError> {
        Err(unsupported("route53:ListHealthChecks"))
    }
    /// The account the credentials act in (STS GetCallerIdentity, which needs no permission).
    /// `Ok(None)` when this cloud cannot tell (unit-test doubles).
    async fn caller_account(&self) -> Result<Option<String>, CloudError> {
        Ok(None)
    }
}
