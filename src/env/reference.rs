//! `{{resolve:ssm:NAME}}`, `{{resolve:ssm-secure:NAME}}` and
//! `{{resolve:secretsmanager:SECRET-ID[:SecretString[:JSON-KEY[:STAGE[:VERSION-ID]]]]}}`
//! references inside values, in the CloudFormation dynamic-reference syntax. A value may hold
//! several, mixed with plain text.

use crate::aws_arn::SecretRef;

/// One reference found in a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The parameter name as written (may carry a `:VERSION` or `:LABEL` selector), or the
    /// secret's id (name or ARN) for a Secrets Manager reference.
    pub name: String,
    /// `ssm-secure` and `secretsmanager`: existence is checked, the value is never read.
    pub secure: bool,
    /// A Secrets Manager reference, with its selectors; `None` for SSM.
    pub secret: Option<SecretRef>,
    /// Byte range of the whole `{{...}}` in the value.
    pub start: usize,
    pub end: usize,
}

/// A part of a value: literal text or a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Ref(Reference),
}

/// Why a value's references could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub message: String,
    pub offset: usize,
}

const OPEN: &str = "{{resolve:";

/// True when the value contains anything that looks like a dynamic reference.
pub fn has_reference(value: &str) -> bool {
    value.contains(OPEN)
}

/// Splits a value into text and references. `ssm`, `ssm-secure` and `secretsmanager` are
/// understood; any other service is reported so it is not silently deployed verbatim.
pub fn parse(value: &str) -> Result<Vec<Part>, Malformed> {
    let mut parts = Vec::new();
    let mut rest = 0;
    while let Some(found) = value[rest..].find(OPEN) {
        let start = rest + found;
        if start > rest {
            parts.push(Part::Text(value[rest..start].to_string()));
        }
        let body_start = start + OPEN.len();
        let Some(close) = value[body_start..].find("}}") else {
            return Err(Malformed { message: "a `{{resolve:` reference is not closed with `}}`".into(), offset: start });
        };
        let body = &value[body_start..body_start + close];
        let end = body_start + close + 2;
        let (service, name) = body.split_once(':').unwrap_or((body, ""));
        let secure = match service {
            "ssm" => false,
            "ssm-secure" => true,
            "secretsmanager" => {
                let secret = crate::aws_arn::parse_secretsmanager_reference(name).map_err(|message| Malformed { message, offset: start })?;
                parts.push(Part::Ref(Reference { name: secret.secret_id.clone(), secure: true, secret: Some(secret), start, end }));
                rest = end;
                continue;
            }
            other => {
                return Err(Malformed {
                    message: format!("`{{{{resolve:{other}:...}}}}` is not supported; preflight resolves `ssm`, `ssm-secure` and `secretsmanager`"),
                    offset: start,
                });
            }
        };
        if !crate::aws_ids::is_parameter_name(name) {
            return Err(Malformed {
                message: if name.is_empty() { "the reference names no parameter".to_string() } else { format!("`{name}` is not a valid SSM parameter name") },
                offset: start,
            });
        }
        parts.push(Part::Ref(Reference { name: name.to_string(), secure, secret: None, start, end }));
        rest = end;
    }
    if rest < value.len() {
        parts.push(Part::Text(value[rest..].to_string()));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_mixed() {
        assert_eq!(parse("plain").unwrap(), vec![Part::Text("plain".into())]);
        let parts = parse("postgres://{{resolve:ssm:/app/db_host}}:5432/{{resolve:ssm-secure:/app/db_pw:3}}").unwrap();
        assert_eq!(parts.len(), 4);
        match &parts[1] {
            Part::Ref(r) => assert_eq!((r.name.as_str(), r.secure), ("/app/db_host", false)),
            p => panic!("{p:?}"),
        }
        match &parts[3] {
            Part::Ref(r) => assert_eq!((r.name.as_str(), r.secure), ("/app/db_pw:3", true)),
            p => panic!("{p:?}"),
        }
    }

    #[test]
    fn malformed() {
        assert!(parse("{{resolve:ssm:/a").is_err());
        assert!(parse("{{resolve:ssm:}}").is_err());
        assert!(parse("{{resolve:secretsmanager:}}").is_err());
        assert!(parse("{{resolve:secretsmanager:x:SecretBinary}}").is_err());
        assert!(parse("{{resolve:vault:x}}").is_err());
        assert!(parse("{{resolve:ssm:has space}}").is_err());
    }

    #[test]
    fn secrets_manager_references_with_arns_and_selectors() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf";
        let parts = parse(&format!("{{{{resolve:secretsmanager:{arn}:SecretString:password::v-1}}}}")).unwrap();
        let Part::Ref(r) = &parts[0] else { panic!("{parts:?}") };
        assert!(r.secure);
        let s = r.secret.as_ref().unwrap();
        assert_eq!((s.secret_id.as_str(), s.json_key.as_deref(), s.version_id.as_deref()), (arn, Some("password"), Some("v-1")));
        assert_eq!(r.name, arn);
        let parts = parse("x{{resolve:secretsmanager:app/db}}y").unwrap();
        assert!(matches!(&parts[1], Part::Ref(r) if r.secret.as_ref().unwrap().secret_id == "app/db"));
    }

    #[test]
    fn public_alias() {
        let p = parse("{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}}").unwrap();
        assert_eq!(p.len(), 1);
    }
}
