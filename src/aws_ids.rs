//! Offline syntax of AWS identifiers. Real EC2 answers `InvalidAMIID.Malformed` for a bad id
//! while moto often says NotFound; checking the shape first gives the same finding on both,
//! and lets `--offline` catch ids that cannot exist.

/// `prefix-` followed by 8 or 17 lowercase hex digits (the two generations of EC2 ids).
pub fn is_id(value: &str, prefix: &str) -> bool {
    let Some(rest) = value.strip_prefix(prefix).and_then(|r| r.strip_prefix('-')) else {
        return false;
    };
    (rest.len() == 8 || rest.len() == 17) && rest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// An instance type such as `t3.micro`, `m7g.2xlarge`, `u-6tb1.metal`, `mac2-m2pro.metal`.
pub fn is_instance_type(value: &str) -> bool {
    let Some((family, size)) = value.split_once('.') else { return false };
    !family.is_empty()
        && !size.is_empty()
        && family.starts_with(|c: char| c.is_ascii_lowercase())
        && family.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && size.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A security group name: 1-255 characters, ASCII, and not starting with `sg-` (EC2 reserves it).
pub fn is_group_name(value: &str) -> bool {
    !value.is_empty() && value.len() <= 255 && value.is_ascii() && !value.starts_with("sg-") && !value.chars().any(|c| c.is_ascii_control())
}

/// A launch template name: 3-128 of letters, digits and `().-/_`.
pub fn is_launch_template_name(value: &str) -> bool {
    (3..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"().-/_".contains(&b))
}

/// A key pair name: 1-255 printable ASCII characters.
pub fn is_key_pair_name(value: &str) -> bool {
    !value.is_empty() && value.len() <= 255 && value.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Splits an SSM parameter reference into the parameter (a name or an ARN) and its `:VERSION`
/// or `:LABEL` selector. In an ARN the selector is a colon after `:parameter`.
pub fn split_parameter_selector(value: &str) -> (&str, Option<&str>) {
    let start = if value.starts_with("arn:") { value.find(":parameter").map_or(value.len(), |i| i + ":parameter".len()) } else { 0 };
    match value[start..].find(':') {
        Some(i) => (&value[..start + i], Some(&value[start + i + 1..])),
        None => (value, None),
    }
}

/// An SSM parameter that can exist, as SSM's naming rules say: letters, digits and `_.-`, with
/// `/` between the levels of a hierarchy, in which case the name starts with `/` (at most 15
/// levels); at most 1011 characters; not starting with `aws` or `ssm` (any case), except the
/// public `/aws/service/...` and `/aws/reference/...` names. An ARN
/// (`arn:aws:ssm:REGION:ACCOUNT:parameter/NAME`, for a parameter shared from another account)
/// is checked on its name. A selector is a version number or a label (letters, digits, `_.-`,
/// not starting with a digit, `aws` or `ssm`, at most 100 characters).
pub fn is_parameter_name(value: &str) -> bool {
    let (param, selector) = split_parameter_selector(value);
    let name = match param.strip_prefix("arn:") {
        Some(rest) => {
            // partition:ssm:region:account:parameter/NAME; a hierarchical NAME keeps its '/'.
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            let Some(tail) = parts.get(4).and_then(|t| t.strip_prefix("parameter")) else { return false };
            if parts[1] != "ssm" || !tail.starts_with('/') {
                return false;
            }
            if tail[1..].contains('/') { tail } else { &tail[1..] }
        }
        None => param,
    };
    let word_ok = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    let reserved = |w: &str| {
        let w = w.to_ascii_lowercase();
        w.starts_with("aws") || w.starts_with("ssm")
    };
    let name_ok = if let Some(path) = name.strip_prefix('/') {
        let levels: Vec<&str> = path.split('/').collect();
        levels.iter().all(|l| word_ok(l))
            && levels.len() <= 15
            && (!reserved(levels[0]) || (levels[0] == "aws" && matches!(levels.get(1), Some(&"service") | Some(&"reference")) && levels.len() > 2))
    } else {
        word_ok(name) && !reserved(name)
    };
    let selector_ok = match selector {
        None => true,
        Some(s) if s.bytes().all(|b| b.is_ascii_digit()) => !s.is_empty() && s.len() <= 19,
        Some(s) => word_ok(s) && s.len() <= 100 && !s.as_bytes()[0].is_ascii_digit() && !reserved(s),
    };
    name_ok && name.len() <= 1011 && selector_ok
}

/// A launch template value with an optional version: `web-lt:$Latest`, `lt-0123...:7`. The
/// version is `$Default`, `$Latest` or a number; anything else after a colon is part of the
/// name (and fails the name's shape).
pub fn split_template_version(value: &str) -> (&str, Option<&str>) {
    match value.rsplit_once(':') {
        Some((t, v)) if v == "$Default" || v == "$Latest" || (!v.is_empty() && v.len() <= 19 && v.bytes().all(|b| b.is_ascii_digit())) => (t, Some(v)),
        _ => (value, None),
    }
}

/// An Auto Scaling group name: 1-255 characters, no control characters.
pub fn is_group_name_asg(value: &str) -> bool {
    !value.is_empty() && value.len() <= 255 && !value.chars().any(char::is_control)
}

/// An Elastic Load Balancing name (load balancer or target group): 1-32 letters, digits and
/// hyphens, not starting or ending with a hyphen.
fn is_elb_name(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') && !s.starts_with('-') && !s.ends_with('-')
}

/// A load balancer name (not `internal-...`, which AWS reserves) or ARN
/// (`arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app|net|gwy/NAME/ID`).
pub fn is_load_balancer_id(s: &str) -> bool {
    if s.starts_with("arn:") {
        return crate::aws_arn::parse_arn(s).is_some_and(|a| {
            a.service == "elasticloadbalancing"
                && a.resource.strip_prefix("loadbalancer/").is_some_and(|r| {
                    let parts: Vec<&str> = r.split('/').collect();
                    parts.len() == 3 && ["app", "net", "gwy"].contains(&parts[0]) && is_elb_name(parts[1]) && !parts[2].is_empty()
                })
        });
    }
    is_elb_name(s) && !s.starts_with("internal-")
}

/// A target group name or ARN (`arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID`).
pub fn is_target_group_id(s: &str) -> bool {
    if s.starts_with("arn:") {
        return crate::aws_arn::parse_arn(s).is_some_and(|a| {
            a.service == "elasticloadbalancing"
                && a.resource
                    .strip_prefix("targetgroup/")
                    .and_then(|r| r.split_once('/'))
                    .is_some_and(|(n, id)| is_elb_name(n) && !id.is_empty() && !id.contains('/'))
        });
    }
    is_elb_name(s)
}

/// The name in a load balancer or target group ARN (`.../app/NAME/ID`, `targetgroup/NAME/ID`).
pub fn elb_arn_name(s: &str) -> Option<&str> {
    let mut parts = s.rsplit('/');
    parts.next()?;
    parts.next()
}

/// A DNS record name as Route 53 holds it: at least two labels of letters, digits, `-` and `_`
/// (at most 63 characters each, 253 in all), the first may be `*`; a trailing dot is allowed.
pub fn is_dns_name(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .enumerate()
            .all(|(i, l)| (i == 0 && *l == "*") || (!l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')))
}

/// A Secrets Manager secret name (1-512 of letters, digits and `/_+=.@-`) or a secret ARN.
pub fn is_secret_id(s: &str) -> bool {
    if s.starts_with("arn:") {
        return crate::aws_arn::parse_arn(s)
            .is_some_and(|a| a.service == "secretsmanager" && a.resource.strip_prefix("secret:").is_some_and(|n| !n.is_empty()));
    }
    !s.is_empty() && s.len() <= 512 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(is_id("ami-0123456789abcdef0", "ami"));
        assert!(is_id("ami-12345678", "ami"));
        assert!(!is_id("ami-123", "ami"));
        assert!(!is_id("ami-0123456789ABCDEF0", "ami"));
        assert!(!is_id("sg-12345678", "ami"));
        assert!(!is_id("ami-", "ami"));
        assert!(is_id("subnet-0a1b2c3d", "subnet"));
    }

    #[test]
    fn instance_types() {
        for ok in ["t3.micro", "m7g.2xlarge", "u-6tb1.metal", "mac2-m2pro.metal", "c7gn.16xlarge"] {
            assert!(is_instance_type(ok), "{ok}");
        }
        for bad in ["t3", "T3.micro", ".micro", "t3.", "t3 micro"] {
            assert!(!is_instance_type(bad), "{bad}");
        }
    }

    /// Each table is checked whole: every disagreement is listed, not just the first.
    #[test]
    fn group_names() {
        let wrong: Vec<_> = [("web-prod", true), ("sg-web", false)].into_iter().filter(|(name, ok)| is_group_name(name) != *ok).collect();
        assert!(wrong.is_empty(), "is_group_name disagrees (name, expected): {wrong:?}");
    }

    /// SSM refuses the names expected `false` (no hierarchy start, `//`, the reserved `aws`/`ssm`
    /// prefixes, 16 levels, a bad selector), so they cannot exist and would fail a whole batch.
    #[test]
    fn parameter_names() {
        let wrong: Vec<_> = [
            ("/app/prod/db_url", true),
            ("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64", true),
            ("plain-name:3", true),
            ("/app/db:prod", true),
            ("/aws/reference/secretsmanager/db", true),
            ("arn:aws:ssm:us-east-1:123456789012:parameter/app/x", true),
            ("arn:aws:ssm:us-east-1:123456789012:parameter/plain:4", true),
            ("/app/", false),
            ("has space", false),
            ("app/prod/x", false),
            ("/app//x", false),
            ("awsome", false),
            ("/SSM/x", false),
            ("/aws/custom/x", false),
            ("/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p", false),
            ("/app/x:", false),
            ("/app/x:1label", false),
            ("arn:aws:s3:::bucket", false),
        ]
        .into_iter()
        .filter(|(name, ok)| is_parameter_name(name) != *ok)
        .collect();
        assert!(wrong.is_empty(), "is_parameter_name disagrees (name, expected): {wrong:?}");
    }

    #[test]
    fn parameter_selectors() {
        let wrong: Vec<_> = [
            ("arn:aws:ssm:r:1:parameter/a/b:3", ("arn:aws:ssm:r:1:parameter/a/b", Some("3"))),
            ("/a/b:prod", ("/a/b", Some("prod"))),
            ("/a/b", ("/a/b", None)),
        ]
        .into_iter()
        .filter(|(text, expected)| split_parameter_selector(text) != *expected)
        .collect();
        assert!(wrong.is_empty(), "split_parameter_selector disagrees (text, expected): {wrong:?}");
    }
}
