//! The lock `preflight snapshot` writes after the tests pass: the tested environment as the
//! data its parity needs, and never a plaintext value. `same` values are kept as salted
//! digests (a per-lock random salt, so a digest cannot be looked up in a table of common
//! values), `resource` values as the attributes that make two resources equivalent across
//! regions and accounts, secrets as presence only.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diag::{ToolError, read_text_file};
use crate::schema::Parity;

const MAX_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    pub preflight_lock: u32,
    pub environment: String,
    pub region: String,
    pub commit: Option<String>,
    pub created_at: String,
    pub fingerprint: String,
    /// True when made with --offline: resource attributes were not looked up.
    pub offline: bool,
    /// The AWS account the tested environment was checked in (null offline).
    #[serde(default)]
    pub account: Option<String>,
    /// Hex salt for the `same` digests.
    pub salt: String,
    pub variables: BTreeMap<String, LockedVar>,
    #[serde(default)]
    pub artifacts: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedVar {
    pub parity: Parity,
    /// Present for secrets: only their presence is recorded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
    /// `same`, not secret, value known: sha256 of salt, name and value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// `resource`: the `x-aws` kind (`ec2:image`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<crate::schema::AwsKind>,
    /// `resource`: the attributes of each resource named, sorted; `None` when they could not
    /// be looked up (offline, or the lookup failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<Attributes>>,
}

/// What makes two resources equivalent across regions and accounts (never their ids), one
/// variant per kind. Written untagged, so a lock reads as `{"rules": [...]}`,
/// `{"public": true}`, ...: the shapes `schemas/lock.schema.json` describes, unchanged since
/// the attributes were `json!` maps. Each variant refuses fields of another, so a lock is read
/// back as the variant it was written from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Attributes {
    Image(ImageAttributes),
    SecurityGroup(SecurityGroupAttributes),
    Subnet(SubnetAttributes),
    InstanceType(InstanceTypeAttributes),
    Secret(SecretAttributes),
    AutoScalingGroup(GroupAttributes),
    LoadBalancer(LoadBalancerAttributes),
    TargetGroup(TargetGroupAttributes),
    DnsRecord(DnsRecordAttributes),
    /// VPCs, launch templates, key pairs, SSM parameters: existence.
    Exists(ExistsAttributes),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageAttributes {
    pub name: Option<String>,
    pub architecture: Option<String>,
    pub root_device_type: Option<String>,
}

/// The group's normalised rules (`in tcp 443-443 from 0.0.0.0/0`), sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupAttributes {
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubnetAttributes {
    pub public: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceTypeAttributes {
    pub instance_type: String,
}

/// A secret: existence and replication only, never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretAttributes {
    pub secret: bool,
    pub exists: bool,
    pub in_every_failover_region: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupAttributes {
    pub autoscaling_group: bool,
    pub can_launch: bool,
}

/// `application, internet-facing, ipv4`: type, scheme and IP address type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancerAttributes {
    pub load_balancer: String,
}

/// `HTTP:80, instance targets, health check /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetGroupAttributes {
    pub target_group: String,
}

/// `failover routing`, `weighted routing, failover pair incomplete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsRecordAttributes {
    pub dns_record: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExistsAttributes {
    pub exists: bool,
}

impl Attributes {
    pub fn exists() -> Attributes {
        Attributes::Exists(ExistsAttributes { exists: true })
    }

    /// How drift names the resource: `image web-1.4 (x86_64)`, `a private subnet`, ...
    pub fn describe(&self) -> String {
        match self {
            Attributes::Image(i) => {
                let name = i.name.as_deref().unwrap_or("(unnamed)");
                match &i.architecture {
                    Some(arch) => format!("image {name} ({arch})"),
                    None => format!("image {name}"),
                }
            }
            Attributes::SecurityGroup(g) => format!("group rules [{}]", g.rules.join("; ")),
            Attributes::Subnet(s) => (if s.public { "a public subnet" } else { "a private subnet" }).to_string(),
            Attributes::InstanceType(t) => format!("instance type {}", t.instance_type),
            Attributes::Secret(s) => {
                (if s.in_every_failover_region { "a secret in every failover region" } else { "a secret missing from a failover region" }).to_string()
            }
            Attributes::AutoScalingGroup(g) => (if g.can_launch { "a group that can launch" } else { "a group that cannot launch" }).to_string(),
            Attributes::LoadBalancer(l) => format!("load balancer ({})", l.load_balancer),
            Attributes::TargetGroup(t) => format!("target group ({})", t.target_group),
            Attributes::DnsRecord(r) => format!("DNS record ({})", r.dns_record),
            Attributes::Exists(_) => "an existing resource".to_string(),
        }
    }

    /// The order locks record them in (by their JSON text, as before they were typed).
    pub fn sort(list: &mut [Attributes]) {
        list.sort_by_cached_key(|a| serde_json::to_string(a).unwrap_or_default());
    }
}

/// A fresh random salt.
pub fn new_salt() -> Result<String, ToolError> {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).map_err(|e| ToolError::new(format!("no randomness for the lock's salt: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// The salted digest of a `same` value.
pub fn salted(salt: &str, name: &str, value: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"preflight-lock/1\0");
    h.update(salt.as_bytes());
    h.update(b"\0");
    h.update(name.as_bytes());
    h.update(b"\0");
    h.update(value.as_bytes());
    format!("sha256:{:x}", h.finalize())
}

/// Reads a lock; a missing, unreadable or malformed lock is a tool error (exit 2).
pub fn read(path: &Path, display: &str) -> Result<Lock, ToolError> {
    crate::files::require_regular(path, "lock")?;
    if !path.is_file() {
        return Err(ToolError::new(format!("lock {display} does not exist"))
            .with_help("write it after the tests pass with `preflight snapshot --env NAME`, or pass --against LOCK"));
    }
    let text = read_text_file(path, MAX_BYTES, "lock")?;
    parse(&text, display)
}

pub fn parse(text: &str, display: &str) -> Result<Lock, ToolError> {
    let lock: Lock = serde_json::from_str(text).map_err(|e| {
        let offset = crate::diag::json_error_offset(text, e.line(), e.column());
        ToolError::new(format!("lock {display} is not a preflight lock: {e}")).with_source(display, text, offset..offset, "here")
    })?;
    if lock.preflight_lock != 1 {
        return Err(ToolError::new(format!("lock {display} has format {}, this preflight reads 1", lock.preflight_lock)));
    }
    Ok(lock)
}

/// Writes the lock atomically; never over one of `inputs`, never through a symlink.
pub fn write(path: &Path, lock: &Lock, inputs: &[std::path::PathBuf]) -> Result<(), ToolError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| ToolError::new(format!("cannot create {}: {e}", parent.display())))?;
    }
    let text = serde_json::to_string_pretty(lock).map_err(|e| ToolError::new(e.to_string()))? + "\n";
    crate::files::write_atomic(path, text.as_bytes(), inputs, "lock")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn salts_differ_and_digests_depend_on_them() {
        let (a, b) = (new_salt().unwrap(), new_salt().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert_ne!(salted(&a, "K", "v"), salted(&b, "K", "v"));
        assert_eq!(salted(&a, "K", "v"), salted(&a, "K", "v"));
        assert_ne!(salted(&a, "K", "v"), format!("sha256:{:x}", Sha256::digest(b"v")));
    }

    #[test]
    fn malformed_locks_are_tool_errors() {
        assert!(parse("{", "l.json").is_err());
        assert!(parse("[]", "l.json").is_err());
        assert!(parse(&format!("{}{}", "[".repeat(5000), "]".repeat(5000)), "l.json").is_err());
    }

    /// A valid lock, the base the mutations below start from.
    const SAMPLE: &str = r#"{
  "preflight_lock": 1, "environment": "staging", "region": "eu-west-1", "commit": null,
  "created_at": "2026-12-03T00:00:00Z", "fingerprint": "sha256:00", "offline": false, "account": "123456789012",
  "salt": "00112233445566778899aabbccddeeff",
  "variables": {
    "LAUNCH_AMI": {"parity": "resource", "kind": "ec2:image", "resources": [{"name": "web", "architecture": "x86_64", "root_device_type": "ebs"}]},
    "WEB_LB": {"parity": "resource", "kind": "elbv2:load-balancer", "resources": [{"load_balancer": "application, internet-facing, ipv4"}]},
    "LOG_LEVEL": {"parity": "same", "digest": "sha256:ab"},
    "DB_PASSWORD": {"parity": "differs", "secret": true}
  },
  "artifacts": {"launcher": "sha256:cd"}
}"#;

    #[test]
    fn the_sample_is_a_lock() {
        let lock = parse(SAMPLE, "l.json").unwrap();
        assert_eq!(lock.variables["WEB_LB"].kind, Some(crate::schema::AwsKind::LoadBalancer));
    }

    proptest! {
        /// Byte edits of a real lock reach every part of the parser (not only its first byte):
        /// never a panic, and an error says where the lock went wrong.
        #[test]
        fn edited_locks_never_panic_and_errors_are_located(edits in proptest::collection::vec((0usize..SAMPLE.len(), any::<u8>()), 1..6)) {
            let mut bytes = SAMPLE.as_bytes().to_vec();
            for (at, b) in edits {
                bytes[at] = b;
            }
            let text = String::from_utf8_lossy(&bytes);
            if let Err(e) = parse(&text, "l.json") {
                prop_assert!(e.to_string().contains("l.json"), "{e}");
            }
        }
    }
}

#[cfg(test)]
mod attribute_tests {
    use super::*;

    /// Every kind's attributes are written in the shape locks have always had, and read back as
    /// the same variant: untagged variants refuse each other's fields.
    #[test]
    fn attributes_round_trip_in_their_recorded_shape() {
        let cases = [
            (
                Attributes::Image(ImageAttributes { name: Some("web-1.4".into()), architecture: Some("x86_64".into()), root_device_type: None }),
                r#"{"name":"web-1.4","architecture":"x86_64","root_device_type":null}"#,
            ),
            (
                Attributes::SecurityGroup(SecurityGroupAttributes { rules: vec!["in tcp 443-443 from 0.0.0.0/0".into()] }),
                r#"{"rules":["in tcp 443-443 from 0.0.0.0/0"]}"#,
            ),
            (Attributes::Subnet(SubnetAttributes { public: false }), r#"{"public":false}"#),
            (Attributes::InstanceType(InstanceTypeAttributes { instance_type: "t3.large".into() }), r#"{"instance_type":"t3.large"}"#),
            (
                Attributes::Secret(SecretAttributes { secret: true, exists: true, in_every_failover_region: false }),
                r#"{"secret":true,"exists":true,"in_every_failover_region":false}"#,
            ),
            (Attributes::AutoScalingGroup(GroupAttributes { autoscaling_group: true, can_launch: true }), r#"{"autoscaling_group":true,"can_launch":true}"#),
            (
                Attributes::LoadBalancer(LoadBalancerAttributes { load_balancer: "application, internet-facing, ipv4".into() }),
                r#"{"load_balancer":"application, internet-facing, ipv4"}"#,
            ),
            (
                Attributes::TargetGroup(TargetGroupAttributes { target_group: "HTTP:80, instance targets, health check /".into() }),
                r#"{"target_group":"HTTP:80, instance targets, health check /"}"#,
            ),
            (Attributes::DnsRecord(DnsRecordAttributes { dns_record: "failover routing".into() }), r#"{"dns_record":"failover routing"}"#),
            (Attributes::exists(), r#"{"exists":true}"#),
        ];
        for (attributes, text) in cases {
            assert_eq!(serde_json::to_string(&attributes).unwrap(), text);
            assert_eq!(serde_json::from_str::<Attributes>(text).unwrap(), attributes, "{text}");
        }
        // An image recorded without its optional fields, as an older lock may hold it.
        assert!(matches!(serde_json::from_str::<Attributes>(r#"{"name": "web"}"#).unwrap(), Attributes::Image(_)));
        assert!(serde_json::from_str::<Attributes>(r#"{"unheard_of": 1}"#).is_err());
    }
}
