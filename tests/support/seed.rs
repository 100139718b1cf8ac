//! Seeding moto through the AWS SDK, the same API preflight reads.

use aws_sdk_ec2::config::{Credentials, Region};
use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use aws_sdk_ssm::types::ParameterType;

pub struct Cloud {
    pub ec2: aws_sdk_ec2::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub sm: aws_sdk_secretsmanager::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub asg: aws_sdk_autoscaling::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub r53: aws_sdk_route53::Client,
    pub region: String,
}

/// What a Route 53 record points at (see [`Cloud::record`]).
pub enum Target<'a> {
    /// An alias A record to an ELB's DNS name.
    Alias { dns_name: &'a str, evaluate: bool },
    /// A CNAME record (TTL 60).
    Cname(&'a str),
    /// An A record with one address (TTL 60).
    A(&'a str),
}

async fn conf(endpoint: &str, region: &str, creds: Credentials) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_string()))
        .credentials_provider(creds)
        .load()
        .await
}

fn clients(conf: &aws_config::SdkConfig, region: &str) -> Cloud {
    Cloud {
        ec2: aws_sdk_ec2::Client::new(conf),
        ssm: aws_sdk_ssm::Client::new(conf),
        sm: aws_sdk_secretsmanager::Client::new(conf),
        ecs: aws_sdk_ecs::Client::new(conf),
        asg: aws_sdk_autoscaling::Client::new(conf),
        elb: aws_sdk_elasticloadbalancingv2::Client::new(conf),
        r53: aws_sdk_route53::Client::new(conf),
        region: region.to_string(),
    }
}

pub async fn cloud(endpoint: &str, region: &str) -> Cloud {
    clients(&conf(endpoint, region, Credentials::new("testing", "testing", None, None, "preflight-tests")).await, region)
}

/// The same clients, acting in another account: credentials from STS AssumeRole into a role
/// of that account (moto needs no role to exist, and keeps each account's state apart).
pub async fn cloud_in_account(endpoint: &str, region: &str, account: &str) -> Cloud {
    let base = conf(endpoint, region, Credentials::new("testing", "testing", None, None, "preflight-tests")).await;
    let out =
        aws_sdk_sts::Client::new(&base).assume_role().role_arn(format!("arn:aws:iam::{account}:role/seeder")).role_session_name("seeder").send().await.unwrap();
    let c = out.credentials().unwrap();
    let creds = Credentials::new(c.access_key_id(), c.secret_access_key(), Some(c.session_token().to_string()), None, "assumed");
    clients(&conf(endpoint, region, creds).await, region)
}

impl Cloud {
    pub async fn vpc(&self, cidr: &str) -> String {
        let r = self.ec2.create_vpc().cidr_block(cidr).send().await.unwrap();
        r.vpc().unwrap().vpc_id().unwrap().to_string()
    }

    /// The region's default VPC (moto creates one per region, as AWS does per account).
    pub async fn default_vpc(&self) -> String {
        let r = self.ec2.describe_vpcs().filters(Filter::builder().name("is-default").values("true").build()).send().await.unwrap();
        r.vpcs()[0].vpc_id().unwrap().to_string()
    }

    /// A subnet in the region's zone with this letter suffix (a, b, c).
    pub async fn subnet(&self, vpc: &str, cidr: &str, zone: char) -> String {
        let r = self.ec2.create_subnet().vpc_id(vpc).cidr_block(cidr).availability_zone(format!("{}{zone}", self.region)).send().await.unwrap();
        r.subnet().unwrap().subnet_id().unwrap().to_string()
    }

    pub async fn group(&self, name: &str, vpc: &str) -> String {
        let r = self.ec2.create_security_group().group_name(name).description(name).vpc_id(vpc).send().await.unwrap();
        r.group_id().unwrap().to_string()
    }

    /// Allows TCP `port` from the members of group `source` into `group` (`source` may be `group`).
    pub async fn allow_group(&self, group: &str, port: i32, source: &str) {
        let pair = aws_sdk_ec2::types::UserIdGroupPair::builder().group_id(source).build();
        self.ingress(group, aws_sdk_ec2::types::IpPermission::builder().from_port(port).to_port(port).user_id_group_pairs(pair)).await;
    }

    /// Allows TCP `port` from `cidr` into a group.
    pub async fn allow(&self, group: &str, port: i32, cidr: &str) {
        let range = aws_sdk_ec2::types::IpRange::builder().cidr_ip(cidr).build();
        self.ingress(group, aws_sdk_ec2::types::IpPermission::builder().from_port(port).to_port(port).ip_ranges(range)).await;
    }

    async fn ingress(&self, group: &str, permission: aws_sdk_ec2::types::builders::IpPermissionBuilder) {
        self.ec2.authorize_security_group_ingress().group_id(group).ip_permissions(permission.ip_protocol("tcp").build()).send().await.unwrap();
    }

    /// Registers an image (moto ignores architecture here: x86_64).
    pub async fn image(&self, name: &str) -> String {
        let r = self.ec2.register_image().name(name).root_device_name("/dev/xvda").send().await.unwrap();
        r.image_id().unwrap().to_string()
    }

    pub async fn tag_image(&self, id: &str, key: &str, value: &str) {
        self.ec2.create_tags().resources(id).tags(Tag::builder().key(key).value(value).build()).send().await.unwrap();
    }

    /// Copies an image from another region into this one, keeping its name.
    pub async fn copy_image(&self, source_region: &str, source_id: &str, name: &str) -> String {
        let r = self.ec2.copy_image().source_region(source_region).source_image_id(source_id).name(name).send().await.unwrap();
        r.image_id().unwrap().to_string()
    }

    /// The id of one of moto's default Amazon images with this architecture.
    pub async fn amazon_image(&self, arch: &str) -> (String, String) {
        let r = self.ec2.describe_images().owners("amazon").filters(Filter::builder().name("architecture").values(arch).build()).send().await.unwrap();
        let i = r.images().iter().find(|i| i.state().map(|s| s.as_str()) == Some("available")).expect("a default amazon image");
        (i.image_id().unwrap().to_string(), i.name().unwrap_or_default().to_string())
    }

    pub async fn launch_template(&self, name: &str) -> String {
        let r = self
            .ec2
            .create_launch_template()
            .launch_template_name(name)
            .launch_template_data(aws_sdk_ec2::types::RequestLaunchTemplateData::builder().instance_type(aws_sdk_ec2::types::InstanceType::T3Micro).build())
            .tag_specifications(
                TagSpecification::builder().resource_type(ResourceType::LaunchTemplate).tags(Tag::builder().key("app").value("web").build()).build(),
            )
            .send()
            .await
            .unwrap();
        r.launch_template().unwrap().launch_template_id().unwrap().to_string()
    }

    /// Creates a key pair; returns its id (key-...).
    pub async fn key_pair(&self, name: &str) -> String {
        let r = self.ec2.create_key_pair().key_name(name).send().await.unwrap();
        r.key_pair_id().unwrap_or_default().to_string()
    }

    pub async fn param(&self, name: &str, value: &str) {
        self.ssm.put_parameter().name(name).value(value).r#type(ParameterType::String).overwrite(true).send().await.unwrap();
    }

    pub async fn secure_param(&self, name: &str, value: &str) {
        self.ssm.put_parameter().name(name).value(value).r#type(ParameterType::SecureString).overwrite(true).send().await.unwrap();
    }

    /// A secret with a value (which preflight must never read nor print), replicated to
    /// `replicas`; returns its ARN.
    pub async fn secret(&self, name: &str, value: &str, replicas: &[&str]) -> String {
        let mut c = self.sm.create_secret().name(name).secret_string(value);
        for r in replicas {
            c = c.add_replica_regions(aws_sdk_secretsmanager::types::ReplicaRegionType::builder().region(*r).build());
        }
        c.send().await.unwrap().arn().unwrap().to_string()
    }

    /// A new version of a secret, staged AWSCURRENT (a rotation); returns its version id.
    pub async fn rotate_secret(&self, name: &str, value: &str) -> String {
        self.sm.put_secret_value().secret_id(name).secret_string(value).send().await.unwrap().version_id().unwrap().to_string()
    }

    pub async fn schedule_secret_deletion(&self, name: &str) {
        self.sm.delete_secret().secret_id(name).recovery_window_in_days(7).send().await.unwrap();
    }

    /// Registers a task definition revision with one container; returns its ARN.
    pub async fn task_definition(&self, family: &str, container: &str, env: &[(&str, &str)], secrets: &[(&str, &str)]) -> String {
        use aws_sdk_ecs::types::{ContainerDefinition, KeyValuePair, Secret};
        let mut c = ContainerDefinition::builder().name(container).image("public.ecr.aws/nginx/nginx:latest").memory(256);
        for (k, v) in env {
            c = c.environment(KeyValuePair::builder().name(*k).value(*v).build());
        }
        for (k, v) in secrets {
            c = c.secrets(Secret::builder().name(*k).value_from(*v).build().unwrap());
        }
        let r = self.ecs.register_task_definition().family(family).container_definitions(c.build()).send().await.unwrap();
        r.task_definition().unwrap().task_definition_arn().unwrap().to_string()
    }

    /// A launch template whose version 1 launches `image` with these security group ids and
    /// instance type; returns its id.
    pub async fn launch_template_for(&self, name: &str, image: &str, groups: &[&str], instance_type: &str) -> String {
        let r =
            self.ec2.create_launch_template().launch_template_name(name).launch_template_data(launch_data(image, groups, instance_type)).send().await.unwrap();
        r.launch_template().unwrap().launch_template_id().unwrap().to_string()
    }

    /// A new version of a launch template (it becomes `$Latest`, not `$Default`); returns its number.
    pub async fn template_version(&self, name: &str, image: &str, groups: &[&str], instance_type: &str) -> i64 {
        let r = self
            .ec2
            .create_launch_template_version()
            .launch_template_name(name)
            .launch_template_data(launch_data(image, groups, instance_type))
            .send()
            .await
            .unwrap();
        r.launch_template_version().unwrap().version_number().unwrap()
    }

    /// An Auto Scaling group launching `template` at `version`, into `subnets`.
    pub async fn group_launching(&self, name: &str, template: &str, version: &str, subnets: &[String], max: i32) {
        let spec = aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder().launch_template_name(template).version(version).build();
        self.asg
            .create_auto_scaling_group()
            .auto_scaling_group_name(name)
            .launch_template(spec)
            .min_size(0)
            .max_size(max)
            .desired_capacity(0)
            .vpc_zone_identifier(subnets.join(","))
            .send()
            .await
            .unwrap();
    }

    pub async fn suspend_launch(&self, group: &str) {
        self.asg.suspend_processes().auto_scaling_group_name(group).scaling_processes("Launch").send().await.unwrap();
    }

    /// An application load balancer in `subnets`; returns (arn, DNS name).
    pub async fn load_balancer(&self, name: &str, subnets: &[String]) -> (String, String) {
        use aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum;
        let r = self.elb.create_load_balancer().name(name).r#type(LoadBalancerTypeEnum::Application).set_subnets(Some(subnets.to_vec())).send().await.unwrap();
        let lb = &r.load_balancers()[0];
        (lb.load_balancer_arn().unwrap().to_string(), lb.dns_name().unwrap().to_string())
    }

    /// An HTTP target group on port 80 in `vpc`; returns its ARN.
    pub async fn target_group(&self, name: &str, vpc: &str) -> String {
        use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
        let r = self.elb.create_target_group().name(name).protocol(ProtocolEnum::Http).port(80).vpc_id(vpc).send().await.unwrap();
        r.target_groups()[0].target_group_arn().unwrap().to_string()
    }

    /// An HTTP listener on port 80 forwarding to the target group (which puts the load balancer
    /// in the target group's LoadBalancerArns).
    pub async fn listener(&self, lb_arn: &str, tg_arn: &str) {
        use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ProtocolEnum};
        let forward = Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(tg_arn).build();
        self.elb.create_listener().load_balancer_arn(lb_arn).protocol(ProtocolEnum::Http).port(80).default_actions(forward).send().await.unwrap();
    }

    pub async fn delete_load_balancer(&self, arn: &str) {
        self.elb.delete_load_balancer().load_balancer_arn(arn).send().await.unwrap();
    }

    /// A public hosted zone; returns its id without the `/hostedzone/` prefix.
    pub async fn hosted_zone(&self, name: &str) -> String {
        let r = self.r53.create_hosted_zone().name(name).caller_reference(caller_reference(name)).send().await.unwrap();
        r.hosted_zone().unwrap().id().trim_start_matches("/hostedzone/").to_string()
    }

    /// An HTTP health check of health.example.com:80/health; returns its id.
    pub async fn health_check(&self) -> String {
        use aws_sdk_route53::types::{HealthCheckConfig, HealthCheckType};
        let config = HealthCheckConfig::builder()
            .r#type(HealthCheckType::Http)
            .fully_qualified_domain_name("health.example.com")
            .port(80)
            .resource_path("/health")
            .build()
            .unwrap();
        let r = self.r53.create_health_check().caller_reference(caller_reference("health")).health_check_config(config).send().await.unwrap();
        r.health_check().unwrap().id().to_string()
    }

    /// UPSERTs one record set in `zone`: an A record for `Target::Alias` (alias target in
    /// hosted zone Z35SXDOTRQ7X7K) and `Target::A`, a CNAME for `Target::Cname`. `failover`
    /// ("PRIMARY" or "SECONDARY") also sets the set identifier to the lowercase role.
    pub async fn record(&self, zone: &str, name: &str, target: Target<'_>, failover: Option<&str>, health_check: Option<&str>) {
        use aws_sdk_route53::types::{AliasTarget, Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, ResourceRecordSetFailover, RrType};
        let mut set = ResourceRecordSet::builder().name(name);
        set = match target {
            Target::Alias { dns_name, evaluate } => set
                .r#type(RrType::A)
                .alias_target(AliasTarget::builder().hosted_zone_id("Z35SXDOTRQ7X7K").dns_name(dns_name).evaluate_target_health(evaluate).build().unwrap()),
            Target::Cname(value) => set.r#type(RrType::Cname).ttl(60).resource_records(ResourceRecord::builder().value(value).build().unwrap()),
            Target::A(ip) => set.r#type(RrType::A).ttl(60).resource_records(ResourceRecord::builder().value(ip).build().unwrap()),
        };
        if let Some(role) = failover {
            set = set.failover(ResourceRecordSetFailover::from(role)).set_identifier(role.to_lowercase());
        }
        if let Some(id) = health_check {
            set = set.health_check_id(id);
        }
        let change = Change::builder().action(ChangeAction::Upsert).resource_record_set(set.build().unwrap()).build().unwrap();
        self.r53.change_resource_record_sets().hosted_zone_id(zone).change_batch(ChangeBatch::builder().changes(change).build().unwrap()).send().await.unwrap();
    }
}

/// A caller reference Route 53 has not seen: the name, the time and a process-wide counter.
fn caller_reference(name: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{name}-{nanos}-{n}")
}

fn launch_data(image: &str, groups: &[&str], instance_type: &str) -> aws_sdk_ec2::types::RequestLaunchTemplateData {
    let mut d = aws_sdk_ec2::types::RequestLaunchTemplateData::builder().image_id(image).instance_type(aws_sdk_ec2::types::InstanceType::from(instance_type));
    for g in groups {
        d = d.security_group_ids(*g);
    }
    d.build()
}
