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
    !value.is_empty() && value.len() <= 255 && value.is_ascii() && !value.starts_with("sg-")
        && !value.chars().any(|c| c.is_ascii_control())
}

/// A launch template name: 3-128 of letters, digits and `().-/_`.
pub fn is_launch_template_name(value: &str) -> bool {
    (3..=128).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"().-/_".contains(&b))
}

/// A key pair name: 1-255 printable ASCII characters.
pub fn is_key_pair_name(value: &str) -> bool {
    !value.is_empty() && value.len() <= 255 && value.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// An SSM parameter name: up to 2048 characters of letters, digits and `_.-/`, optionally
/// hierarchical (`/a/b`), or a public alias under `/aws/service/`. A trailing `:VERSION` or
/// `:LABEL` selector is allowed (as CloudFormation's dynamic references allow).
pub fn is_parameter_name(value: &str) -> bool {
    let name = value.split_once(':').map_or(value, |(n, _)| n);
    !name.is_empty()
        && name.len() <= 2048
        && !name.ends_with('/')
        && !name.contains("//")
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-/".contains(&b))
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

    #[test]
    fn names() {
        assert!(is_group_name("web-prod"));
        assert!(!is_group_name("sg-web"));
        assert!(is_parameter_name("/app/prod/db_url"));
        assert!(is_parameter_name("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"));
        assert!(is_parameter_name("plain-name:3"));
        assert!(!is_parameter_name("/app/"));
        assert!(!is_parameter_name("has space"));
    }
}
