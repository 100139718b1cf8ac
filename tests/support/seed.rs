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
    pub region: String,
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
}

fn launch_data(image: &str, groups: &[&str], instance_type: &str) -> aws_sdk_ec2::types::RequestLaunchTemplateData {
    let mut d = aws_sdk_ec2::types::RequestLaunchTemplateData::builder().image_id(image).instance_type(aws_sdk_ec2::types::InstanceType::from(instance_type));
    for g in groups {
        d = d.security_group_ids(*g);
    }
    d.build()
}
