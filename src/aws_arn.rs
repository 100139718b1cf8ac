//! Offline parsing of AWS ARNs and of the two ways a template names a secret: CloudFormation
//! `{{resolve:secretsmanager:...}}` dynamic references and ECS `secrets[].valueFrom`.
//!
//! Everything here is std-only, never panics (any UTF-8 input, split points are ASCII bytes) and
//! runs in time linear in the input.
//!
//! Sources for the rules (see the tests for the examples taken from them):
//! - ARN shape: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, the resource may itself contain
//!   `:` and `/`: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>
//! - CloudFormation `secretsmanager` dynamic references:
//!   <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html>
//!   and <https://docs.aws.amazon.com/secretsmanager/latest/userguide/cfn-example_reference-secret.html>
//! - ECS `valueFrom` for Secrets Manager:
//!   <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html>,
//!   as implemented by the ECS agent (`getASMParametersFromInput` in
//!   `agent/taskresource/asmsecret/asmsecret.go` of github.com/aws/amazon-ecs-agent: the ARN's
//!   resource is `secret:NAME` or exactly `secret:NAME:JSON-KEY:VERSION-STAGE:VERSION-ID`).
//! - ECS `valueFrom` for SSM Parameter Store (a name in the task's Region, or the full ARN):
//!   <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-ssm-paramstore.html>;
//!   hierarchical parameter names start with `/`:
//!   <https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html>

use std::fmt;

/// A parsed ARN; every field borrows from the parsed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    /// Empty for global resources (IAM, S3 buckets, CloudFront...). May be a wildcard pattern
    /// (`*`) in IAM policy resources.
    pub region: &'a str,
    /// 12 digits, empty (AWS-owned or account-less resources such as public SSM parameters and
    /// public AMIs), `aws` (AWS managed IAM policies), or a wildcard pattern.
    pub account: &'a str,
    /// Everything after the fifth `:`; may contain `:` and `/`.
    pub resource: &'a str,
}

impl fmt::Display for Arn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "arn:{}:{}:{}:{}:{}", self.partition, self.service, self.region, self.account, self.resource)
    }
}

/// `aws`, `aws-cn`, `aws-us-gov`, `aws-eusc` and the isolated partitions `aws-iso`, `aws-iso-b`,
/// `aws-iso-e`, `aws-iso-f`, ...
fn is_partition(p: &str) -> bool {
    matches!(p, "aws" | "aws-cn" | "aws-us-gov" | "aws-eusc")
        || p.strip_prefix("aws-iso")
            .is_some_and(|rest| rest.is_empty() || rest.strip_prefix('-').is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_lowercase())))
}

fn is_service(s: &str) -> bool {
    s.as_bytes().first().is_some_and(|b| b.is_ascii_lowercase()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_wildcard(b: u8) -> bool {
    b == b'*' || b == b'?'
}

/// Empty, a region name such as `us-gov-west-1`, or a wildcard pattern.
fn is_region_field(r: &str) -> bool {
    r.len() <= 32 && r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || is_wildcard(b))
}

/// A region that names exactly one region (non-empty, no wildcard).
fn is_literal_region(r: &str) -> bool {
    !r.is_empty() && is_region_field(r) && !r.bytes().any(is_wildcard)
}

/// Empty, `aws`, 12 digits, or a wildcard pattern of at most 12 digits/wildcards.
fn is_account_field(a: &str) -> bool {
    a.is_empty()
        || a == "aws"
        || is_literal_account(a)
        || (a.len() <= 12 && a.bytes().any(is_wildcard) && a.bytes().all(|b| b.is_ascii_digit() || is_wildcard(b)))
}

fn is_literal_account(a: &str) -> bool {
    a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())
}

/// A CloudFormation `Fn::Sub` placeholder such as `${AWS::Region}` inside a field.
fn has_placeholder(s: &str) -> bool {
    s.contains("${")
}

/// Parses the `arn:P:S:R:A:` header at the start of `s` (which starts with `arn:`). Each header
/// field is at most 64 bytes, so this costs O(1). Returns the four fields and the byte index
/// where the resource starts.
fn parse_header(s: &str) -> Option<(&str, &str, &str, &str, usize)> {
    let b = s.as_bytes();
    let mut pos = 4;
    let mut fields = [""; 4];
    for slot in fields.iter_mut() {
        let start = pos;
        loop {
            let c = *b.get(pos)?;
            if c == b':' {
                break;
            }
            if !(c.is_ascii_alphanumeric() || c == b'-' || is_wildcard(c)) || pos - start >= 64 {
                return None;
            }
            pos += 1;
        }
        *slot = &s[start..pos];
        pos += 1;
    }
    let [partition, service, region, account] = fields;
    (is_partition(partition) && is_service(service) && is_region_field(region) && is_account_field(account))
        .then_some((partition, service, region, account, pos))
}

/// Parses a whole string as one ARN: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` with a
/// known partition, a lowercase service, an empty/valid region, an account that is empty,
/// 12 digits or `aws` (wildcards allowed, as in IAM policies), and a non-empty resource without
/// whitespace or control characters. Unsubstituted `${...}` placeholders in the header
/// (`arn:${AWS::Partition}:...`) are not ARNs and give `None`.
pub fn parse_arn(s: &str) -> Option<Arn<'_>> {
    if !s.starts_with("arn:") {
        return None;
    }
    let (partition, service, region, account, start) = parse_header(s)?;
    let resource = &s[start..];
    if resource.is_empty() || resource.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    Some(Arn { partition, service, region, account, resource })
}

/// Characters that end an ARN found inside longer text, even inside `${...}`.
fn is_hard_delimiter(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '`')
}

/// Characters that end an ARN found inside longer text, except inside `${...}`.
fn is_soft_delimiter(c: char) -> bool {
    matches!(c, ',' | ';' | '}' | ']' | ')' | '<' | '>' | '|' | '\\')
}

/// End (byte index in `s`) of a resource that starts at `start`.
fn resource_end(s: &str, start: usize) -> usize {
    let mut in_placeholder = false;
    let mut prev_dollar = false;
    for (i, c) in s[start..].char_indices() {
        if is_hard_delimiter(c) {
            return start + i;
        }
        if in_placeholder {
            in_placeholder = c != '}';
            prev_dollar = false;
            continue;
        }
        if is_soft_delimiter(c) {
            return start + i;
        }
        in_placeholder = prev_dollar && c == '{';
        prev_dollar = c == '$';
    }
    s.len()
}

/// Every ARN inside `text` (a JSON document, a comma-separated list, a sentence...), with its
/// byte offset. An ARN starts at `arn:` not preceded by a letter, digit or `_`, and its
/// resource ends at whitespace, a control character, a quote or backtick, or one of
/// `, ; } ] ) < > | \` (a `}` closing an IAM policy variable such as `${aws:username}` does not
/// end it); trailing `.` (end of a sentence) is dropped. A resource may therefore carry
/// trailing selectors, e.g. the `:SecretString:password` of a dynamic reference.
pub fn find_arns(text: &str) -> Vec<(usize, Arn<'_>)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = text[from..].find("arn:") {
        let at = from + offset;
        from = at + 1;
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
            continue;
        }
        let candidate = &text[at..];
        let Some((partition, service, region, account, start)) = parse_header(candidate) else { continue };
        let resource = candidate[start..resource_end(candidate, start)].trim_end_matches('.');
        if resource.is_empty() {
            continue;
        }
        found.push((at, Arn { partition, service, region, account, resource }));
        from = at + start + resource.len();
    }
    found
}

/// Services whose resources are global, so that their ARNs normally have an empty region.
/// S3 is here because bucket and object ARNs have no region; S3 ARNs that do carry one
/// (access points, Outposts) are still compared by [`mismatches`].
pub fn is_global_service(service: &str) -> bool {
    matches!(
        service,
        "iam"
            | "sts"
            | "organizations"
            | "account"
            | "route53"
            | "route53domains"
            | "route53-recovery-control-config"
            | "route53-recovery-readiness"
            | "cloudfront"
            | "s3"
            | "waf"
            | "shield"
            | "globalaccelerator"
            | "networkmanager"
            | "budgets"
            | "ce"
            | "savingsplans"
            | "aws-portal"
            | "support"
            | "chatbot"
            | "sso"
            | "identitystore"
    )
}

/// Accounts that are AWS's, not a customer's: `aws` (AWS managed policies,
/// `arn:aws:iam::aws:policy/...`) and the regional Elastic Load Balancing accounts that deliver
/// access logs (`arn:aws:iam::127311923021:root` in a bucket policy), as listed at
/// <https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/enable-access-logs.html#attach-bucket-policy>
/// (copied from terraform-provider-aws `internal/service/elb/service_account_data_source.go`).
/// Regions opened since 2022 use the service principal `logdelivery.elasticloadbalancing.amazonaws.com`.
pub fn is_aws_owned_account(account: &str) -> bool {
    matches!(
        account,
        "aws"
            | "098369216593" // af-south-1
            | "754344448648" // ap-east-1
            | "582318560864" // ap-northeast-1
            | "600734575887" // ap-northeast-2
            | "383597477331" // ap-northeast-3
            | "718504428378" // ap-south-1
            | "114774131450" // ap-southeast-1
            | "783225319266" // ap-southeast-2
            | "985666609251" // ca-central-1
            | "638102146993" // cn-north-1
            | "037604701340" // cn-northwest-1
            | "054676820928" // eu-central-1
            | "897822967062" // eu-north-1
            | "635631232127" // eu-south-1
            | "156460612806" // eu-west-1
            | "652711504416" // eu-west-2
            | "009996457667" // eu-west-3
            | "076674570225" // me-south-1
            | "507241528517" // sa-east-1
            | "127311923021" // us-east-1
            | "033677994240" // us-east-2
            | "190560391635" // us-gov-east-1
            | "048591011584" // us-gov-west-1
            | "027434742980" // us-west-1
            | "797873946194" // us-west-2
    )
}

/// ARNs that legitimately live in `us-east-1` whatever the deployment region: ACM certificates
/// and Lambda@Edge functions used by CloudFront, and CLOUDFRONT-scope WAFv2 resources
/// (`arn:aws:wafv2:us-east-1:ACCOUNT:global/...`). [`mismatches`] skips only the WAFv2 case
/// (its `global/` resource says so); for ACM and Lambda the caller knows whether the property
/// belongs to CloudFront and can use this to silence a [`Mismatch::Region`].
pub fn is_edge_us_east_1(arn: &Arn<'_>) -> bool {
    arn.region == "us-east-1" && (matches!(arn.service, "acm" | "lambda") || (arn.service == "wafv2" && arn.resource.starts_with("global/")))
}

/// How an ARN disagrees with the deployment's region or account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    Region { found: String, expected: String },
    Account { found: String, expected: String },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Region { found, expected } => write!(f, "region {found} is not the deployment region {expected}"),
            Mismatch::Account { found, expected } => write!(f, "account {found} is not the deployment account {expected}"),
        }
    }
}

/// Compares an ARN with the deployment `region` (ignored when empty) and `account`.
///
/// The region is compared only when the ARN names exactly one region (not empty, no wildcard)
/// and the service is regional ([`is_global_service`] is false, or S3 with a region, e.g. an
/// access point), and not for CLOUDFRONT-scope WAFv2 (`wafv2` with a `global/` resource).
///
/// The account is compared only when `account` is given and non-empty and the ARN's account is
/// 12 literal digits that are not an AWS-owned account ([`is_aws_owned_account`]). So AWS-owned
/// resources with an empty account (`arn:aws:ssm:us-east-1::parameter/aws/service/...`, public
/// AMIs `arn:aws:ec2:REGION::image/ami-...`) and `arn:aws:iam::aws:policy/...` never mismatch.
/// Where an ARN does carry an account (an ELB, a KMS key, a secret) it is the owner's, so a
/// difference is reported: it is either a mistake or a deliberate cross-account reference.
pub fn mismatches(arn: &Arn<'_>, region: &str, account: Option<&str>) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let regional = arn.service == "s3" || !is_global_service(arn.service);
    let cloudfront_scope = arn.service == "wafv2" && arn.resource.starts_with("global/");
    if !region.is_empty() && is_literal_region(arn.region) && regional && !cloudfront_scope && arn.region != region {
        out.push(Mismatch::Region { found: arn.region.to_string(), expected: region.to_string() });
    }
    if let Some(expected) = account.filter(|a| !a.is_empty())
        && is_literal_account(arn.account)
        && !is_aws_owned_account(arn.account)
        && arn.account != expected
    {
        out.push(Mismatch::Account { found: arn.account.to_string(), expected: expected.to_string() });
    }
    out
}

/// The `:`-separated fields of `s`, where a `:` inside a `${...}` placeholder does not separate
/// (so `${AWS::Region}` stays one field). Linear: once a `${` has no closing `}`, no later one
/// can have one either.
fn colon_fields(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let mut fields = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut no_more_closing = false;
    while i < b.len() {
        if b[i] == b':' {
            fields.push(&s[start..i]);
            start = i + 1;
            i += 1;
        } else if b[i] == b'$' && !no_more_closing && b.get(i + 1) == Some(&b'{') {
            match s[i + 2..].find('}') {
                Some(off) => i += 2 + off + 1,
                None => {
                    no_more_closing = true;
                    i += 2;
                }
            }
        } else {
            i += 1;
        }
    }
    fields.push(&s[start..]);
    fields
}

/// Byte length of the first `n` fields of `s` together with the `n - 1` colons between them.
fn fields_len(fields: &[&str], n: usize) -> usize {
    fields[..n].iter().map(|f| f.len()).sum::<usize>() + n.saturating_sub(1)
}

fn check_text(what: &str, s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err(format!("empty {what}"));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{what} `{}` contains whitespace or control characters", s.escape_debug()));
    }
    Ok(())
}

/// A header field of an ARN inside a reference: valid as written, or an `Fn::Sub` placeholder.
fn arn_field_ok(field: &str, valid: fn(&str) -> bool) -> bool {
    valid(field) || has_placeholder(field)
}

/// Splits off the secret-id at the start of `fields` (the `:`-fields of `s`). A secret-id that
/// is an ARN spans 7 fields (`arn:P:secretsmanager:R:A:secret:NAME`); a name (which cannot
/// contain `:`) spans one. Returns the secret-id and the number of fields it used.
fn take_secret_id<'s>(s: &'s str, fields: &[&'s str]) -> Result<(&'s str, usize), String> {
    let is_arn = fields.len() > 1 && fields[0] == "arn" && arn_field_ok(fields[1], is_partition);
    if !is_arn {
        if fields[0].is_empty() {
            return Err(format!("`{s}` has an empty secret-id (a secret name or ARN is required)"));
        }
        return Ok((fields[0], 1));
    }
    let shape = "a secret ARN has the form arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME";
    if fields.len() > 2 && fields[2] != "secretsmanager" {
        return Err(format!("`{s}`: the ARN is for service `{}`, not secretsmanager", fields[2]));
    }
    if fields.len() < 7 {
        return Err(format!("`{s}`: {shape}"));
    }
    if !arn_field_ok(fields[3], is_literal_region) {
        return Err(format!("`{s}`: the secret ARN has region `{}`, not a region name", fields[3]));
    }
    if !arn_field_ok(fields[4], is_literal_account) {
        return Err(format!("`{s}`: the secret ARN has account `{}`, not 12 digits", fields[4]));
    }
    if fields[5] != "secret" || fields[6].is_empty() {
        return Err(format!("`{s}`: {shape}"));
    }
    Ok((&s[..fields_len(fields, 7)], 7))
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// A reference to a Secrets Manager secret, with the optional selectors of a dynamic reference
/// or an ECS `valueFrom`. Empty segments are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    /// The secret's name or full (possibly partial, i.e. without the random suffix) ARN.
    pub secret_id: String,
    pub json_key: Option<String>,
    pub version_stage: Option<String>,
    pub version_id: Option<String>,
}

impl SecretRef {
    /// The secret-id as an ARN, when it is a literal one (`None` for a name, or for an ARN with
    /// `${...}` placeholders).
    pub fn arn(&self) -> Option<Arn<'_>> {
        parse_arn(&self.secret_id)
    }

    /// The secret's name as written: the secret-id itself, or for an ARN the part after
    /// `secret:`. The random 6-character suffix Secrets Manager appends in ARNs (`-AbCdEf`) is
    /// NOT stripped: a name may itself end in `-` and six characters, and a partial ARN has no
    /// suffix, so the suffix cannot be told apart from the name. Compare with care (e.g. test
    /// whether the ARN's name equals the name or starts with `NAME-` followed by 6 characters).
    pub fn name_hint(&self) -> &str {
        if self.secret_id.starts_with("arn:") {
            let fields = colon_fields(&self.secret_id);
            if fields.len() >= 7 && fields[5] == "secret" {
                return &self.secret_id[fields_len(&fields, 6) + 1..];
            }
        }
        &self.secret_id
    }
}

/// Parses the body of a CloudFormation Secrets Manager dynamic reference, i.e. the text between
/// `{{resolve:secretsmanager:` and `}}`:
/// `SECRET-ID[:SecretString[:JSON-KEY[:VERSION-STAGE[:VERSION-ID]]]]`.
///
/// Rules (CloudFormation User Guide, "Get a secret or secret value from Secrets Manager"):
/// - secret-id is required: a name, or the full ARN (needed for another account's secret),
///   recognised first as its 7 `:`-fields `arn:P:secretsmanager:R:A:secret:NAME`;
/// - the secret-string segment, when present, is empty or literally `SecretString` (the only
///   supported value and the default);
/// - json-key, version-stage and version-id may not contain `:`, so more than 4 segments after
///   the secret-id is an error; any segment may be empty (`MySecret::::` is the whole secret);
/// - version-stage and version-id are mutually exclusive; with neither, `AWSCURRENT` is used;
/// - a reference whose final character is a backslash cannot be resolved.
///
/// `:` inside `${...}` (an `Fn::Sub` placeholder such as `${AWS::Region}`) does not separate
/// segments. Errors quote the body, which names a secret but holds no secret value.
pub fn parse_secretsmanager_reference(body: &str) -> Result<SecretRef, String> {
    check_text("secretsmanager dynamic reference", body)?;
    if body.ends_with('\\') {
        return Err(format!("`{body}` ends with a backslash, which CloudFormation cannot resolve"));
    }
    let fields = colon_fields(body);
    let (secret_id, used) = take_secret_id(body, &fields)?;
    let rest = &fields[used..];
    if rest.len() > 4 {
        return Err(format!(
            "`{body}` has {} segments after the secret-id; the form is \
             secret-id:SecretString:json-key:version-stage:version-id and json-key, version-stage \
             and version-id may not contain `:`",
            rest.len()
        ));
    }
    let segment = |i: usize| rest.get(i).copied().unwrap_or("");
    if !matches!(segment(0), "" | "SecretString") {
        return Err(format!("`{body}`: the segment after the secret-id is `{}`, but the only supported value is `SecretString`", segment(0)));
    }
    let reference = SecretRef {
        secret_id: secret_id.to_string(),
        json_key: non_empty(segment(1)),
        version_stage: non_empty(segment(2)),
        version_id: non_empty(segment(3)),
    };
    if reference.version_stage.is_some() && reference.version_id.is_some() {
        return Err(format!("`{body}` gives both a version-stage and a version-id; specify at most one"));
    }
    Ok(reference)
}

/// Where an ECS container definition's `secrets[].valueFrom` (or `secretOptions[].valueFrom`)
/// takes its value from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueFrom {
    /// An SSM Parameter Store parameter. `name` is the parameter name (`/app/db/password` or
    /// `name`; a trailing `:VERSION`/`:LABEL` selector, if written, is kept). `arn_region` and
    /// `arn_account` are set when `valueFrom` was an ARN (a bare name means the task's Region
    /// and account).
    Ssm { name: String, arn_region: Option<String>, arn_account: Option<String> },
    /// A Secrets Manager secret, always given as a full ARN.
    Secret(SecretRef),
}

/// Parses an ECS `valueFrom`:
/// - `arn:P:secretsmanager:R:A:secret:NAME` optionally followed by exactly
///   `:JSON-KEY:VERSION-STAGE:VERSION-ID`, each possibly empty (ECS docs: "if you do not use
///   them, you must include the colons"; the ECS agent rejects any other number of fields).
///   version-stage and version-id are mutually exclusive;
/// - `arn:P:ssm:R:A:parameter/NAME`: the parameter name is the part after `parameter`, i.e.
///   `/app/db` for `parameter/app/db` (hierarchical names start with `/`) and `name` for
///   `parameter/name`;
/// - anything else that is not an ARN is an SSM parameter name (ECS accepts a name when the
///   parameter is in the task's Region; a Secrets Manager secret must be a full ARN).
pub fn parse_value_from(s: &str) -> Result<ValueFrom, String> {
    check_text("valueFrom", s)?;
    if !s.starts_with("arn:") {
        return Ok(ValueFrom::Ssm { name: s.to_string(), arn_region: None, arn_account: None });
    }
    let fields = colon_fields(s);
    if fields.len() < 6 || !arn_field_ok(fields[1], is_partition) {
        return Err(format!("`{s}` is not an ARN of the form arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE"));
    }
    match fields[2] {
        "secretsmanager" => {
            let (secret_id, used) = take_secret_id(s, &fields)?;
            let extra = &fields[used..];
            let reference = match extra.len() {
                0 => SecretRef { secret_id: secret_id.to_string(), json_key: None, version_stage: None, version_id: None },
                3 => SecretRef {
                    secret_id: secret_id.to_string(),
                    json_key: non_empty(extra[0]),
                    version_stage: non_empty(extra[1]),
                    version_id: non_empty(extra[2]),
                },
                n => {
                    return Err(format!(
                        "`{s}` has {n} field(s) after the secret name; ECS wants none or exactly three \
                         (json-key:version-stage:version-id, each possibly empty, e.g. `NAME:username1::`)"
                    ));
                }
            };
            if reference.version_stage.is_some() && reference.version_id.is_some() {
                return Err(format!("`{s}` gives both a version-stage and a version-id; specify at most one"));
            }
            Ok(ValueFrom::Secret(reference))
        }
        "ssm" => {
            let (region, account) = (fields[3], fields[4]);
            if !arn_field_ok(region, is_literal_region) {
                return Err(format!("`{s}`: the parameter ARN has region `{region}`, not a region name"));
            }
            if !arn_field_ok(account, is_literal_account) {
                return Err(format!("`{s}`: the parameter ARN has account `{account}`, not 12 digits"));
            }
            let resource = &s[fields_len(&fields, 5) + 1..];
            let after = resource.strip_prefix("parameter/").unwrap_or("");
            if after.is_empty() {
                return Err(format!("`{s}`: a parameter ARN has the form arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME"));
            }
            let name = if after.starts_with('/') || !after.contains('/') { after.to_string() } else { format!("/{after}") };
            Ok(ValueFrom::Ssm { name, arn_region: non_empty(region), arn_account: non_empty(account) })
        }
        other => Err(format!("`{s}` is an ARN for service `{other}`; valueFrom takes a Secrets Manager secret ARN or an SSM parameter name or ARN")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:MySecret-a1b2c3";

    fn arn(s: &str) -> Arn<'_> {
        parse_arn(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    fn secret(id: &str, key: Option<&str>, stage: Option<&str>, vid: Option<&str>) -> SecretRef {
        SecretRef {
            secret_id: id.to_string(),
            json_key: key.map(str::to_string),
            version_stage: stage.map(str::to_string),
            version_id: vid.map(str::to_string),
        }
    }

    fn cfn(body: &str) -> SecretRef {
        parse_secretsmanager_reference(body).unwrap_or_else(|e| panic!("{body}: {e}"))
    }

    fn cfn_err(body: &str) -> String {
        parse_secretsmanager_reference(body).expect_err(body)
    }

    fn ecs(s: &str) -> ValueFrom {
        parse_value_from(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn ssm(name: &str, region: Option<&str>, account: Option<&str>) -> ValueFrom {
        ValueFrom::Ssm { name: name.into(), arn_region: region.map(Into::into), arn_account: account.map(Into::into) }
    }

    #[test]
    fn parses_arns_whose_resource_has_colons_and_slashes() {
        let a = arn("arn:aws:lambda:us-east-1:123456789012:function:my-fn:PROD");
        assert_eq!((a.partition, a.service, a.region, a.account, a.resource), ("aws", "lambda", "us-east-1", "123456789012", "function:my-fn:PROD"));
        assert_eq!(arn(SECRET_ARN).resource, "secret:MySecret-a1b2c3");
        assert_eq!(arn("arn:aws:s3:::my-bucket/path/to/key.txt").resource, "my-bucket/path/to/key.txt");
        let role = arn("arn:aws:iam::123456789012:role/service-role/my-role");
        assert_eq!((role.region, role.account), ("", "123456789012"));
        assert_eq!(role.to_string(), "arn:aws:iam::123456789012:role/service-role/my-role");
    }

    #[test]
    fn parses_aws_owned_and_wildcard_arns() {
        let public = arn("arn:aws:ssm:us-east-1::parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64");
        assert_eq!((public.region, public.account), ("us-east-1", ""));
        assert_eq!(arn("arn:aws:ec2:us-east-1::image/ami-0abcdef1234567890").account, "");
        assert_eq!(arn("arn:aws:iam::aws:policy/AdministratorAccess").account, "aws");
        let wild = arn("arn:aws:logs:*:*:log-group:/aws/lambda/*");
        assert_eq!((wild.region, wild.account), ("*", "*"));
    }

    #[test]
    fn parses_other_partitions() {
        assert_eq!(arn("arn:aws-us-gov:iam::123456789012:role/x").partition, "aws-us-gov");
        let cn = arn("arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db-AbCdEf");
        assert_eq!((cn.partition, cn.region), ("aws-cn", "cn-north-1"));
        assert_eq!(arn("arn:aws-iso:s3:::b").partition, "aws-iso");
        assert_eq!(arn("arn:aws-iso-b:ec2:us-isob-east-1:123456789012:vpc/vpc-1").region, "us-isob-east-1");
        assert_eq!(arn("arn:aws-eusc:s3:::b").partition, "aws-eusc");
    }

    #[test]
    fn rejects_malformed_arns() {
        let wrong: Vec<_> = [
            "",
            "arn:",
            "arn:aws",
            "arn:aws:s3:::",
            "arn:aws:iam::123456789012",
            "ARN:aws:s3:::b",
            "arn:AWS:s3:::b",
            "arn:azure:s3:::b",
            "arn:aws-iso-:s3:::b",
            "arn:aws:S3:::b",
            "arn:aws::us-east-1:123456789012:x",
            "arn:aws:ec2:US-EAST-1:123456789012:vpc/v",
            "arn:aws:iam::12345678901:role/x",
            "arn:aws:iam::1234567890123:role/x",
            "arn:aws:iam::12345678901a:role/x",
            "arn:aws:s3:::bucket with space",
            "arn:aws:s3:::bucket\n",
            "arn:${AWS::Partition}:s3:::b",
            " arn:aws:s3:::b",
            "arn:aws:s3:::é\u{0}",
            "arn:ä:s3:::b",
        ]
        .into_iter()
        .filter(|bad| parse_arn(bad).is_some())
        .collect();
        assert!(wrong.is_empty(), "these should not parse as ARNs: {wrong:?}");
    }

    #[test]
    fn global_services() {
        for g in ["iam", "route53", "cloudfront", "s3", "organizations", "waf", "sts", "shield", "globalaccelerator"] {
            assert!(is_global_service(g), "{g}");
        }
        for r in ["ec2", "lambda", "secretsmanager", "ssm", "wafv2", "elasticloadbalancing", "kms", ""] {
            assert!(!is_global_service(r), "{r}");
        }
    }

    #[test]
    fn finds_arns_in_json_lists_and_prose() {
        let text = r#"{"Role":"arn:aws:iam::123456789012:role/app","Keys":["arn:aws:kms:eu-west-1:123456789012:key/abc"]}"#;
        let found = find_arns(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, text.find("arn:aws:iam").unwrap());
        assert_eq!(found[0].1.resource, "role/app");
        assert_eq!(found[1].1.to_string(), "arn:aws:kms:eu-west-1:123456789012:key/abc");

        let list = "arn:aws:sns:us-east-1:123456789012:a,arn:aws:sns:us-east-1:123456789012:b, arn:aws:sqs:us-east-1:123456789012:q";
        let resources: Vec<_> = find_arns(list).iter().map(|(_, a)| a.resource).collect();
        assert_eq!(resources, ["a", "b", "q"]);

        let prose = "Grant «arn:aws-us-gov:s3:::logs/é/x». Then see arn:aws:iam::123456789012:role/x.";
        let found = find_arns(prose);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].1.resource, "logs/é/x»");
        assert_eq!(&prose[found[0].0..found[0].0 + 4], "arn:");
        assert_eq!(found[1].1.resource, "role/x");

        let dynref = format!("{{{{resolve:secretsmanager:{SECRET_ARN}:SecretString:password}}}}");
        let found = find_arns(&dynref);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1.resource, "secret:MySecret-a1b2c3:SecretString:password");
    }

    #[test]
    fn find_arns_boundaries_and_policy_variables() {
        assert!(find_arns("learn:aws:s3:::b xarn:aws:s3:::c _arn:aws:s3:::d").is_empty());
        assert!(find_arns("arn:aws:s3:::,arn:aws:s3:::\"").is_empty());
        let found = find_arns("'arn:aws:s3:::bucket/${aws:username}/*'");
        assert_eq!(found[0].1.resource, "bucket/${aws:username}/*");
        let found = find_arns("arn:arn:aws:s3:::b (arn:aws:s3:::c) [arn:aws:s3:::d]");
        let resources: Vec<_> = found.iter().map(|(_, a)| a.resource).collect();
        assert_eq!(resources, ["b", "c", "d"]);
        assert_eq!(find_arns("x=arn:aws:s3:::b\\\"")[0].1.resource, "b");
    }

    #[test]
    fn region_and_account_mismatches() {
        let key = arn("arn:aws:kms:eu-west-1:210987654321:key/abc");
        assert_eq!(
            mismatches(&key, "us-east-1", Some("123456789012")),
            [
                Mismatch::Region { found: "eu-west-1".into(), expected: "us-east-1".into() },
                Mismatch::Account { found: "210987654321".into(), expected: "123456789012".into() },
            ]
        );
        assert_eq!(mismatches(&key, "eu-west-1", Some("210987654321")), []);
        assert_eq!(mismatches(&key, "eu-west-1", None), []);
        assert_eq!(mismatches(&key, "", Some("")), []);
        assert_eq!(mismatches(&key, "us-east-1", None)[0].to_string(), "region eu-west-1 is not the deployment region us-east-1");

        let gov = arn("arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:x-AbCdEf");
        assert_eq!(mismatches(&gov, "us-gov-east-1", Some("123456789012")).len(), 1);
        let elb = arn("arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/app/my-alb/50dc6c495c0c9188");
        assert_eq!(mismatches(&elb, "us-east-1", Some("123456789012")).len(), 1);
    }

    #[test]
    fn mismatches_skip_global_aws_owned_and_wildcards() {
        let ok = |s: &str| mismatches(&arn(s), "eu-west-1", Some("123456789012"));
        // Global services, AWS-owned resources and wildcards are never compared (a global service
        // that, oddly, carries a region included); every one compared is listed.
        let compared: Vec<&str> = [
            "arn:aws:iam::123456789012:role/x",
            "arn:aws:s3:::bucket",
            "arn:aws:ssm:eu-west-1::parameter/aws/service/ecs/optimized-ami/amazon-linux-2/recommended",
            "arn:aws:ec2:eu-west-1::image/ami-0abcdef1234567890",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::156460612806:root",
            "arn:aws:logs:*:*:*",
            "arn:aws:wafv2:us-east-1:123456789012:global/webacl/w/abc",
            "arn:aws:cloudfront:us-east-1:123456789012:distribution/E1",
        ]
        .into_iter()
        .filter(|s| !ok(s).is_empty())
        .collect();
        assert!(compared.is_empty(), "compared, but should not be: {compared:?}");
        // S3 access points are regional.
        assert_eq!(ok("arn:aws:s3:us-west-2:123456789012:accesspoint/ap").len(), 1);
        // ACM for CloudFront is in us-east-1 by design; reported, but recognisable.
        let cert = arn("arn:aws:acm:us-east-1:123456789012:certificate/abc");
        assert_eq!(mismatches(&cert, "eu-west-1", None).len(), 1);
        assert!(is_edge_us_east_1(&cert));
        assert!(!is_edge_us_east_1(&arn("arn:aws:acm:eu-west-1:123456789012:certificate/abc")));
    }

    // Examples from https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html
    // (and its earlier text in github.com/awsdocs/aws-cloudformation-user-guide doc_source/dynamic-references.md).
    #[test]
    fn cloudformation_doc_examples() {
        assert_eq!(cfn("MyRDSSecret:SecretString:username"), secret("MyRDSSecret", Some("username"), None, None));
        assert_eq!(cfn("MySecret"), secret("MySecret", None, None, None));
        assert_eq!(cfn("MySecret::::"), secret("MySecret", None, None, None));
        assert_eq!(cfn("MySecret:SecretString:password"), secret("MySecret", Some("password"), None, None));
        let arn = "arn:aws:secretsmanager:us-west-2:123456789012:secret:MySecret-asd123";
        assert_eq!(cfn(arn), secret(arn, None, None, None));
        assert_eq!(cfn(&format!("{arn}:SecretString:password")), secret(arn, Some("password"), None, None));
        let arn = "arn:aws:secretsmanager:us-west-2:123456789012:secret:MySecretName-asd123";
        assert_eq!(cfn(&format!("{arn}:SecretString:password:AWSPENDING")), secret(arn, Some("password"), Some("AWSPENDING"), None));
        // The page says this selects a version ID, but by position it is the version-stage.
        assert_eq!(
            cfn("MySecret:SecretString:password:EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE"),
            secret("MySecret", Some("password"), Some("EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE"), None)
        );
        // An older revision's example puts `SecretString` in the version-stage slot and a version
        // ID after it, which breaks the page's own "don't specify both" rule.
        assert!(cfn_err("MySecret:SecretString:password:SecretString:EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE").contains("both"));
    }

    #[test]
    fn cloudformation_empty_segments_and_versions() {
        assert_eq!(cfn("MySecret:SecretString::AWSPREVIOUS"), secret("MySecret", None, Some("AWSPREVIOUS"), None));
        assert_eq!(cfn("MySecret:SecretString:::v-id-1"), secret("MySecret", None, None, Some("v-id-1")));
        assert_eq!(cfn("MySecret::k"), secret("MySecret", Some("k"), None, None));
        assert_eq!(cfn("MySecret:"), secret("MySecret", None, None, None));
        assert_eq!(cfn("prod/app/db+x=y.z@w-1"), secret("prod/app/db+x=y.z@w-1", None, None, None));
        assert_eq!(cfn(&format!("{SECRET_ARN}:SecretString:password::")), secret(SECRET_ARN, Some("password"), None, None));
        assert_eq!(cfn(&format!("{SECRET_ARN}::::v1")), secret(SECRET_ARN, None, None, Some("v1")));
    }

    #[test]
    fn cloudformation_errors() {
        // (reference, what its error must say); every disagreement is listed, not just the first.
        let wrong: Vec<String> = [
            ("MySecret:SecretString:a:b:c:d".to_string(), "5 segments"),
            (format!("{SECRET_ARN}:SecretString:a:b:c:d"), "5 segments"),
            ("MySecret:SecretString:password:AWSPREVIOUS:v1".to_string(), "both"),
            ("MySecret:SecretBinary".to_string(), "SecretString"),
            ("MySecret:secretstring:k".to_string(), "SecretString"),
            ("".to_string(), "empty"),
            (":SecretString:k".to_string(), "empty secret-id"),
            ("MySecret:SecretString:key\\".to_string(), "backslash"),
            ("My Secret".to_string(), "whitespace"),
            ("arn:aws:secretsmanager:us-east-1:123456789012:secret".to_string(), "form"),
            ("arn:aws:secretsmanager:us-east-1:123456789012:secret::SecretString".to_string(), "form"),
            ("arn:aws:secretsmanager:us-east-1:123456789012:parameter:x".to_string(), "form"),
            ("arn:aws:ssm:us-east-1:123456789012:parameter/x".to_string(), "service `ssm`"),
            ("arn:aws:secretsmanager::123456789012:secret:x".to_string(), "region"),
            ("arn:aws:secretsmanager:us-east-1:1234:secret:x".to_string(), "account"),
        ]
        .into_iter()
        .filter_map(|(text, says)| {
            let e = parse_secretsmanager_reference(&text).err().unwrap_or_else(|| "(parsed without error)".to_string());
            (!e.contains(says)).then(|| format!("{text:?}: {e:?} does not say {says:?}"))
        })
        .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn cloudformation_partitions_and_sub_placeholders() {
        let gov = "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:db-AbCdEf";
        assert_eq!(cfn(&format!("{gov}:SecretString:password")), secret(gov, Some("password"), None, None));
        let cn = "arn:aws-cn:secretsmanager:cn-northwest-1:123456789012:secret:db";
        let r = cfn(cn);
        assert_eq!((r.arn().unwrap().partition, r.name_hint()), ("aws-cn", "db"));
        // A secret literally named `arn`.
        assert_eq!(cfn("arn:SecretString:password"), secret("arn", Some("password"), None, None));
        // Fn::Sub placeholders keep their `::`.
        assert_eq!(cfn("${AWS::StackName}-db:SecretString:password"), secret("${AWS::StackName}-db", Some("password"), None, None));
        let sub = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${Env}-db";
        let r = cfn(&format!("{sub}:SecretString:password"));
        assert_eq!(r, secret(sub, Some("password"), None, None));
        assert_eq!((r.arn(), r.name_hint()), (None, "${Env}-db"));
        assert_eq!(cfn("${Unclosed:SecretString").secret_id, "${Unclosed");
    }

    #[test]
    fn secret_ref_arn_and_name_hint() {
        let r = cfn(&format!("{SECRET_ARN}:SecretString:password"));
        let a = r.arn().unwrap();
        assert_eq!((a.region, a.account, a.service), ("us-east-1", "123456789012", "secretsmanager"));
        // The random suffix is kept: `MySecret-a1b2c3` could also be a secret's whole name.
        assert_eq!(r.name_hint(), "MySecret-a1b2c3");
        assert_eq!(cfn("prod/db").name_hint(), "prod/db");
        assert_eq!(cfn("prod/db").arn(), None);
    }

    // Examples from https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
    // (region and account placeholders replaced by real-looking values).
    #[test]
    fn ecs_secrets_manager_doc_examples() {
        let base = "arn:aws:secretsmanager:us-east-1:123456789012:secret:appauthexample-AbCdEf";
        let vid = "9d4cb84b-ad69-40c0-a0ab-cead3EXAMPLE";
        let s = |k: Option<&str>, st: Option<&str>, id: Option<&str>| ValueFrom::Secret(secret(base, k, st, id));
        assert_eq!(ecs(base), s(None, None, None));
        assert_eq!(ecs(&format!("{base}:username1::")), s(Some("username1"), None, None));
        assert_eq!(ecs(&format!("{base}::AWSPREVIOUS:")), s(None, Some("AWSPREVIOUS"), None));
        assert_eq!(ecs(&format!("{base}:::{vid}")), s(None, None, Some(vid)));
        assert_eq!(ecs(&format!("{base}:username1:AWSPREVIOUS:")), s(Some("username1"), Some("AWSPREVIOUS"), None));
        assert_eq!(ecs(&format!("{base}:username1::{vid}")), s(Some("username1"), None, Some(vid)));
        // An older revision showed `NAME::VERSION-ID` (two fields); the agent rejects that.
        assert!(parse_value_from(&format!("{base}::{vid}")).unwrap_err().contains("exactly three"));
    }

    #[test]
    fn ecs_secrets_manager_errors_and_partitions() {
        let base = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";
        let err = |s: String| parse_value_from(&s).expect_err(&s);
        assert!(err(format!("{base}:username")).contains("1 field"));
        assert!(err(format!("{base}:a:b:c:d")).contains("4 field"));
        assert!(err(format!("{base}::AWSPREVIOUS:v1")).contains("both"));
        assert!(err("arn:aws:secretsmanager:us-east-1:123456789012:secret".into()).contains("form"));
        assert!(err("arn:aws:s3:::bucket/key".into()).contains("service `s3`"));
        assert!(err("arn:aws:secretsmanager:us-east-1".into()).contains("not an ARN"));
        assert!(err(String::new()).contains("empty"));
        assert!(err(" /a".into()).contains("whitespace"));
        let gov = "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:db-AbCdEf";
        assert_eq!(ecs(&format!("{gov}:password::")), ValueFrom::Secret(secret(gov, Some("password"), None, None)));
    }

    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-ssm-paramstore.html
    #[test]
    fn ecs_ssm_names_and_arns() {
        assert_eq!(ecs("/app/db/password"), ssm("/app/db/password", None, None));
        assert_eq!(ecs("name"), ssm("name", None, None));
        assert_eq!(ecs("name:3"), ssm("name:3", None, None));
        assert_eq!(ecs("arn:aws:ssm:us-east-1:123456789012:parameter/app/db/password"), ssm("/app/db/password", Some("us-east-1"), Some("123456789012")));
        assert_eq!(ecs("arn:aws:ssm:eu-west-1:123456789012:parameter/parameter_name"), ssm("parameter_name", Some("eu-west-1"), Some("123456789012")));
        assert_eq!(ecs("arn:aws:ssm:eu-west-1:123456789012:parameter//app/db"), ssm("/app/db", Some("eu-west-1"), Some("123456789012")));
        assert_eq!(ecs("arn:aws-cn:ssm:cn-north-1:123456789012:parameter/a/b:2"), ssm("/a/b:2", Some("cn-north-1"), Some("123456789012")));
        let wrong: Vec<_> = [
            "arn:aws:ssm:us-east-1:123456789012:parameter/",
            "arn:aws:ssm:us-east-1:123456789012:parameter",
            "arn:aws:ssm:us-east-1:123456789012:document/x",
            "arn:aws:ssm::123456789012:parameter/x",
            "arn:aws:ssm:us-east-1:12:parameter/x",
        ]
        .into_iter()
        .filter(|bad| parse_value_from(bad).is_ok())
        .collect();
        assert!(wrong.is_empty(), "these valueFroms should be rejected: {wrong:?}");
    }

    #[test]
    fn no_panics_on_arbitrary_input() {
        let samples = [
            format!("{SECRET_ARN}:SecretString:pässwörd:AWSPREVIOUS"),
            "arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/é/ü:${x::y}".to_string(),
            "{{resolve:secretsmanager:${AWS::StackName}:é::}} arn:aws:s3:::b/${ü}".to_string(),
            "arn:😀:s3:::b arn:aws:😀:::b arn:aws:s3:😀::b arn:aws:s3:::😀".to_string(),
        ];
        for sample in &samples {
            for (i, _) in sample.char_indices() {
                for piece in [&sample[..i], &sample[i..]] {
                    let _ = parse_arn(piece);
                    for (_, a) in find_arns(piece) {
                        let _ = mismatches(&a, "us-east-1", Some("123456789012"));
                    }
                    if let Ok(r) = parse_secretsmanager_reference(piece) {
                        let _ = (r.arn(), r.name_hint());
                    }
                    if let Ok(ValueFrom::Secret(r)) = parse_value_from(piece) {
                        let _ = (r.arn(), r.name_hint());
                    }
                }
            }
        }
    }

    #[test]
    fn adversarial_inputs_run_in_linear_time() {
        let n = 200_000;
        for text in [
            "arn:".repeat(n),
            "arn:aws:".repeat(n),
            "arn:aws:s3:::".repeat(n),
            format!("arn:aws:s3:::{}", "${".repeat(n)),
            "${".repeat(n),
            "${:".repeat(n),
            ":".repeat(n),
            format!("{SECRET_ARN}{}", ":".repeat(n)),
        ] {
            let start = std::time::Instant::now();
            let _ = find_arns(&text);
            let _ = parse_arn(&text);
            let _ = parse_secretsmanager_reference(&text);
            let _ = parse_value_from(&text);
            assert!(start.elapsed().as_secs() < 5, "too slow on {}", &text[..16]);
        }
        assert_eq!(find_arns(&"arn:aws:s3:::b ".repeat(1000)).len(), 1000);
    }
}
