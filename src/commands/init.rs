//! `preflight init [--from DOTENV]`: writes a starter preflight.toml and env.schema.json,
//! inferring types, `x-aws` kinds and secrets from an existing env file. Never overwrites.

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::aws_ids;
use crate::diag::{ToolError, read_capped};
use crate::env::dotenv;
use crate::report::Verdict;

const SCHEMA_FILE: &str = "env.schema.json";

pub fn run(dir: &Path, from: Option<&Path>) -> Result<Verdict, ToolError> {
    let toml_path = dir.join(crate::config::FILE_NAME);
    let schema_path = dir.join(SCHEMA_FILE);
    for p in [&toml_path, &schema_path] {
        if p.exists() {
            return Err(ToolError::new(format!("{} already exists; init never overwrites a file", p.display())).with_help("move it away or edit it by hand"));
        }
    }

    let (env_name, source_rel, properties, required) = match from {
        Some(file) => {
            let abs = if file.is_absolute() { file.to_path_buf() } else { dir.join(file) };
            let bytes = read_capped(&abs, crate::checks::env::MAX_ENV_BYTES, "env file")?;
            let parsed = dotenv::parse(&bytes);
            for e in &parsed.errors {
                eprintln!("warning: {}:{}:{}: {} (line skipped)", file.display(), e.pos.line, e.pos.column, e.message);
            }
            let mut props = Map::new();
            let mut required = Vec::new();
            let mut reasons = std::collections::BTreeMap::new();
            for entry in &parsed.entries {
                let Some(value) = &entry.value else { continue };
                if !props.contains_key(&entry.key) {
                    required.push(Value::String(entry.key.clone()));
                }
                match crate::secrets::classify(&entry.key, Some(value), None) {
                    Some(reason) => {
                        reasons.insert(entry.key.clone(), reason);
                        props.insert(entry.key.clone(), json!({"type": "string", "writeOnly": true}));
                    }
                    None => {
                        reasons.remove(&entry.key);
                        props.insert(entry.key.clone(), infer(&entry.key, value));
                    }
                }
            }
            // Say, per variable, which rule marked it secret; never its value.
            for (key, reason) in &reasons {
                println!("{key}: secret ({reason})");
            }
            let rel = abs.strip_prefix(dir).map(|p| p.display().to_string()).unwrap_or_else(|_| abs.display().to_string());
            (env_name_of(file), rel, props, required)
        }
        None => ("production".to_string(), ".env".to_string(), Map::new(), Vec::new()),
    };

    let count = properties.len();
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Environment variables",
        "type": "object",
        "required": required,
        "additionalProperties": false,
        "properties": properties,
    });
    let region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .ok()
        .filter(|r| crate::config::valid_region(r))
        .unwrap_or_else(|| "us-east-1".to_string());
    let toml = format!(
        "# preflight configuration: see `preflight explain` and the README.\n\
         schema = \"{SCHEMA_FILE}\"\n\n\
         [environments.{env_name}]\n\
         region = \"{region}\"\n\
         # failover_regions = [\"us-west-2\"]   # every AMI must also exist there, by name\n\
         # vpc = \"vpc-0123456789abcdef0\"      # security groups and subnets must belong to it\n\
         # tested_as = \"staging\"              # compare with the lock `preflight snapshot` wrote\n\
         # account = \"222222222222\"          # the only AWS account this environment may be checked in\n\
         # role_arn = \"arn:aws:iam::222222222222:role/preflight-readonly\"  # assumed for its lookups\n\
         # external_id = \"...\"               # if the role's trust policy asks for one\n\
         # profile = \"prod-readonly\"         # or: a profile of ~/.aws/config\n\
         source = {{ dotenv = {} }}\n",
        toml_string(&source_rel)
    );
    let schema_text = serde_json::to_string_pretty(&schema).map_err(|e| ToolError::new(e.to_string()))? + "\n";
    write_new(&schema_path, &schema_text)?;
    write_new(&toml_path, &toml)?;
    println!("wrote {} and {} ({count} variables)", toml_path.display(), schema_path.display());
    println!("next: check the region and types, then run `preflight check --offline`");
    Ok(Verdict::Pass)
}

/// `deploy/production.env` -> production, `.env.staging` -> staging, `.env` -> production.
fn env_name_of(file: &Path) -> String {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = name.strip_prefix(".env.").or_else(|| name.strip_suffix(".env")).unwrap_or(&name);
    let clean: String = stem.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect();
    if clean.is_empty() { "production".into() } else { clean }
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn write_new(path: &Path, text: &str) -> Result<(), ToolError> {
    use std::io::Write;
    let mut f =
        std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| ToolError::new(format!("cannot create {}: {e}", path.display())))?;
    f.write_all(text.as_bytes()).map_err(|e| ToolError::new(format!("cannot write {}: {e}", path.display())))
}

/// The property a value suggests.
pub fn infer(key: &str, value: &str) -> Value {
    if crate::secrets::classify(key, Some(value), None).is_some() {
        return json!({"type": "string", "writeOnly": true});
    }
    let v = value.trim();
    if let Some(kind) = id_kind(v) {
        return json!({"type": "string", "x-aws": kind});
    }
    let parts: Vec<&str> = v.split(',').map(str::trim).collect();
    if parts.len() > 1
        && let Some(kind) = id_kind(parts[0])
        && parts.iter().all(|p| id_kind(p) == Some(kind))
    {
        return json!({"type": "array", "items": {"type": "string", "x-aws": kind}});
    }
    if key.to_ascii_uppercase().contains("INSTANCE_TYPE") && aws_ids::is_instance_type(v) {
        return json!({"type": "string", "x-aws": "ec2:instance-type"});
    }
    if v == "true" || v == "false" {
        return json!({"type": "boolean"});
    }
    if !v.is_empty() && v.parse::<i64>().is_ok() && (v == "0" || !v.trim_start_matches('-').starts_with('0')) {
        return json!({"type": "integer"});
    }
    if v.contains('.') && v.parse::<f64>().is_ok_and(f64::is_finite) && v.bytes().all(|b| b.is_ascii_digit() || b"-.".contains(&b)) {
        return json!({"type": "number"});
    }
    if v.starts_with('{') && serde_json::from_str::<Value>(v).is_ok_and(|j| j.is_object()) {
        return json!({"type": "object"});
    }
    if v.starts_with('[') && serde_json::from_str::<Value>(v).is_ok_and(|j| j.is_array()) {
        return json!({"type": "array"});
    }
    json!({"type": "string"})
}

fn id_kind(v: &str) -> Option<&'static str> {
    [("ami", "ec2:image"), ("sg", "ec2:security-group"), ("subnet", "ec2:subnet"), ("vpc", "ec2:vpc"), ("lt", "ec2:launch-template")]
        .into_iter()
        .find(|(prefix, _)| aws_ids::is_id(v, prefix))
        .map(|(_, kind)| kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inference() {
        assert_eq!(infer("LAUNCH_AMI", "ami-0123456789abcdef0")["x-aws"], "ec2:image");
        assert_eq!(infer("SGS", "sg-0123456789abcdef0, sg-12345678")["items"]["x-aws"], "ec2:security-group");
        assert_eq!(infer("VPC", "vpc-0123456789abcdef0")["x-aws"], "ec2:vpc");
        assert_eq!(infer("LT", "lt-0123456789abcdef0")["x-aws"], "ec2:launch-template");
        assert_eq!(infer("SUBNET", "subnet-0123456789abcdef0")["x-aws"], "ec2:subnet");
        assert_eq!(infer("DB_PASSWORD", "hunter2")["writeOnly"], true);
        assert_eq!(infer("PORT", "8080")["type"], "integer");
        assert_eq!(infer("ZIP", "02134")["type"], "string");
        assert_eq!(infer("RATIO", "0.25")["type"], "number");
        assert_eq!(infer("DEBUG", "false")["type"], "boolean");
        assert_eq!(infer("NODE_INSTANCE_TYPE", "m7g.large")["x-aws"], "ec2:instance-type");
        assert_eq!(infer("NAME", "web")["type"], "string");
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name_of(Path::new("deploy/production.env")), "production");
        assert_eq!(env_name_of(Path::new(".env.staging")), "staging");
        assert_eq!(env_name_of(Path::new(".env")), "production");
    }
}
