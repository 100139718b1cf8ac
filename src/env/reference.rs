//! `{{resolve:ssm:NAME}}` and `{{resolve:ssm-secure:NAME}}` references inside values, in the
//! CloudFormation dynamic-reference syntax. A value may hold several, mixed with plain text.

/// One reference found in a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The parameter name as written (may carry a `:VERSION` or `:LABEL` selector).
    pub name: String,
    /// `ssm-secure`: existence is checked, the value is never decrypted.
    pub secure: bool,
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

/// Splits a value into text and references. Only `ssm` and `ssm-secure` are understood;
/// other services (`secretsmanager`) are reported so they are not silently deployed verbatim.
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
            other => {
                return Err(Malformed {
                    message: format!("`{{{{resolve:{other}:...}}}}` is not supported; preflight resolves `ssm` and `ssm-secure`"),
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
        parts.push(Part::Ref(Reference { name: name.to_string(), secure, start, end }));
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
        assert!(parse("{{resolve:secretsmanager:x}}").is_err());
        assert!(parse("{{resolve:ssm:has space}}").is_err());
    }

    #[test]
    fn public_alias() {
        let p = parse("{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}}").unwrap();
        assert_eq!(p.len(), 1);
    }
}
