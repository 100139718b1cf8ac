//! `preflight.toml`: finding it, parsing it with spans, and validating it into a [`Config`].
//!
//! Every mistake in this file is a tool error (exit 2) that points at the line: a gate that
//! silently ignored a misspelt `failover_region` key would pass a rollout it should block.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

use crate::diag::{ToolError, read_text_file};

/// The file name searched for in the current directory and its parents.
pub const FILE_NAME: &str = "preflight.toml";
/// Largest preflight.toml we read; anything bigger is not a config file.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// A loaded and validated preflight.toml.
#[derive(Debug)]
pub struct Config {
    /// Path of the file as found (absolute or as given).
    pub path: PathBuf,
    /// The directory holding the file: every relative path in it is relative to this.
    pub root: PathBuf,
    /// The file's text, kept for located errors raised after loading.
    pub text: String,
    pub schema: Spanned<String>,
    pub environments: BTreeMap<String, Environment>,
    pub artifacts: Vec<Artifact>,
    pub hook: Hook,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    schema: Spanned<String>,
    #[serde(default)]
    environments: BTreeMap<String, Spanned<Environment>>,
    #[serde(default)]
    artifacts: Vec<Spanned<Artifact>>,
    #[serde(default)]
    hook: Hook,
}

/// One `[environments.NAME]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    #[serde(skip)]
    pub name: String,
    pub region: Spanned<String>,
    #[serde(default)]
    pub failover_regions: Vec<Spanned<String>>,
    pub source: Spanned<Source>,
    #[serde(default)]
    pub vpc: Option<Spanned<String>>,
    #[serde(default)]
    pub tested_as: Option<Spanned<String>>,
    /// Where `snapshot` writes this environment's lock and where `check` reads the lock of a
    /// `tested_as` environment. Default: `.preflight/NAME.lock.json`.
    #[serde(default)]
    pub lock: Option<Spanned<String>>,
    /// The only AWS account (12 digits) this environment may be checked in.
    #[serde(default)]
    pub account: Option<Spanned<String>>,
    /// A profile of the standard AWS config files for this environment's credentials.
    #[serde(default)]
    pub profile: Option<Spanned<String>>,
    /// A role assumed (from the chain's credentials) for this environment's lookups.
    #[serde(default)]
    pub role_arn: Option<Spanned<String>>,
    /// The external id the role's trust policy asks for.
    #[serde(default)]
    pub external_id: Option<Spanned<String>>,
}

impl Environment {
    /// Every region this environment deploys to: the primary first, then the failovers.
    pub fn regions(&self) -> Vec<String> {
        let mut out = vec![self.region.get_ref().clone()];
        for r in &self.failover_regions {
            if !out.contains(r.get_ref()) {
                out.push(r.get_ref().clone());
            }
        }
        out
    }

    /// The lock file path, relative to the config root.
    pub fn lock_path(&self) -> String {
        match &self.lock {
            Some(p) => p.get_ref().clone(),
            None => format!(".preflight/{}.lock.json", self.name),
        }
    }
}

/// Where an environment's variables come from; a list is layered, later entries winning.
#[derive(Debug, Clone)]
pub struct Source(pub Vec<SourceEntry>);

/// How a dotenv file is read (SPEC section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// python-dotenv's rules (quotes, escapes, `${}` expansion, multi-line values).
    #[default]
    Dotenv,
    /// `docker run --env-file` and ECS `environmentFiles`: the value taken literally.
    Docker,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Dotenv => "dotenv",
            Dialect::Docker => "docker",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceEntry {
    Dotenv {
        path: String,
        dialect: Dialect,
    },
    SsmPath(String),
    Process,
    /// An ECS task definition JSON file (register-task-definition input or
    /// describe-task-definition output) and the container whose environment is deployed.
    TaskDefinition {
        path: String,
        container: String,
    },
    /// A registered revision (`family:revision`, `family`, or its ARN), read live.
    TaskDefinitionArn {
        id: String,
        container: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSourceEntry {
    dotenv: Option<String>,
    dialect: Option<String>,
    ssm_path: Option<String>,
    process: Option<bool>,
    task_definition: Option<String>,
    task_definition_arn: Option<String>,
    container: Option<String>,
}

/// `family:revision`, `family` (the latest ACTIVE revision) or a task definition ARN.
pub fn valid_task_definition_id(id: &str) -> bool {
    let family_ok = |f: &str| !f.is_empty() && f.len() <= 255 && f.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let rev_ok = |r: &str| !r.is_empty() && r.len() <= 10 && r.bytes().all(|b| b.is_ascii_digit());
    let family_rev = |s: &str| match s.split_once(':') {
        Some((f, r)) => family_ok(f) && rev_ok(r),
        None => family_ok(s),
    };
    match crate::aws_arn::parse_arn(id) {
        Some(arn) => arn.service == "ecs" && arn.resource.strip_prefix("task-definition/").is_some_and(family_rev),
        None => family_rev(id),
    }
}

impl<'de> Deserialize<'de> for SourceEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawSourceEntry::deserialize(d)?;
        let mut set = Vec::new();
        let container = || match &raw.container {
            Some(c) if !c.trim().is_empty() => Ok(c.clone()),
            Some(_) => Err(de::Error::custom("`container` needs the name of a container of the task definition")),
            None => Err(de::Error::custom("a task definition source needs `container = \"NAME\"`: the container whose environment is deployed")),
        };
        if let Some(p) = &raw.dotenv {
            if p.trim().is_empty() {
                return Err(de::Error::custom("`dotenv` needs a file path"));
            }
            let dialect = match raw.dialect.as_deref() {
                None | Some("dotenv") => Dialect::Dotenv,
                Some("docker") => Dialect::Docker,
                Some(other) => {
                    return Err(de::Error::custom(format!(
                        "unknown dialect `{other}`: use \"dotenv\" (python-dotenv) or \"docker\" (docker --env-file, ECS environmentFiles)"
                    )));
                }
            };
            set.push(SourceEntry::Dotenv { path: p.clone(), dialect });
        } else if raw.dialect.is_some() {
            return Err(de::Error::custom("`dialect` applies to a `dotenv` source only"));
        }
        if let Some(p) = &raw.ssm_path {
            if !p.starts_with('/') {
                return Err(de::Error::custom("`ssm_path` must be an absolute parameter path such as \"/app/prod/\""));
            }
            set.push(SourceEntry::SsmPath(p.clone()));
        }
        match raw.process {
            Some(true) => set.push(SourceEntry::Process),
            Some(false) => {
                return Err(de::Error::custom("`process = false` reads nothing; remove the entry instead"));
            }
            None => {}
        }
        if let Some(p) = &raw.task_definition {
            if p.trim().is_empty() {
                return Err(de::Error::custom("`task_definition` needs a file path"));
            }
            set.push(SourceEntry::TaskDefinition { path: p.clone(), container: container()? });
        }
        if let Some(id) = &raw.task_definition_arn {
            if !valid_task_definition_id(id) {
                return Err(de::Error::custom(format!(
                    "`{id}` is not a task definition: write \"family:revision\" (web:42), \"family\" (the latest revision) or its ARN"
                )));
            }
            set.push(SourceEntry::TaskDefinitionArn { id: id.clone(), container: container()? });
        }
        if raw.container.is_some() && raw.task_definition.is_none() && raw.task_definition_arn.is_none() {
            return Err(de::Error::custom("`container` applies to a `task_definition` or `task_definition_arn` source only"));
        }
        match set.len() {
            1 => Ok(set.pop().expect("one element")),
            0 => Err(de::Error::custom(
                "a source needs one of `dotenv = PATH`, `ssm_path = \"/path/\"`, `process = true`, `task_definition = PATH` or `task_definition_arn = \"family:revision\"`",
            )),
            _ => Err(de::Error::custom(
                "a source entry names exactly one of `dotenv`, `ssm_path`, `process`, `task_definition` or `task_definition_arn`; use a list to layer several",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Source;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a source table like { dotenv = \"deploy/production.env\" } or a list of them")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Source, A::Error> {
                let one = SourceEntry::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Source(vec![one]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Source, A::Error> {
                let mut out = Vec::new();
                while let Some(e) = seq.next_element::<SourceEntry>()? {
                    out.push(e);
                }
                if out.is_empty() {
                    return Err(de::Error::custom("the source list is empty"));
                }
                Ok(Source(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// One `[[artifacts]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    pub name: Spanned<String>,
    pub paths: Spanned<Vec<String>>,
    #[serde(default)]
    pub provenance: Option<Spanned<Provenance>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Provenance {
    File(String),
    Image(ImageProvenance),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageProvenance {
    pub image_var: String,
    #[serde(default = "default_tag")]
    pub tag: String,
}

fn default_tag() -> String {
    "preflight:source-digest".to_string()
}

/// `[hook]`: which pushes the pre-push hook checks.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hook {
    #[serde(default)]
    pub refs: Vec<String>,
    #[serde(default)]
    pub env: Option<String>,
}

/// Finds preflight.toml: `explicit` if given, else in `start` or the nearest parent.
pub fn locate(explicit: Option<&Path>, start: &Path) -> Result<PathBuf, ToolError> {
    if let Some(p) = explicit {
        let p = if p.is_absolute() { p.to_path_buf() } else { start.join(p) };
        if !p.is_file() {
            return Err(ToolError::new(format!("config file {} does not exist", p.display()))
                .with_help("pass an existing file to --config, or run `preflight init` to write one"));
        }
        return Ok(p);
    }
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            return Ok(candidate);
        }
        dir = d.parent();
    }
    Err(ToolError::new(format!("no {FILE_NAME} in {} or any parent directory", start.display()))
        .with_help("run `preflight init` to write a starter config, or pass --config FILE"))
}

/// Reads, parses and validates the config at `path`.
pub fn load(path: &Path) -> Result<Config, ToolError> {
    let text = read_text_file(path, MAX_CONFIG_BYTES, "config file")?;
    parse(path, text)
}

/// Parses config text; `path` is used for messages and to anchor relative paths.
pub fn parse(path: &Path, text: String) -> Result<Config, ToolError> {
    let display = path.display().to_string();
    let raw: RawConfig = match toml::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            let msg = e.message().trim().to_string();
            let err = ToolError::new(format!("invalid {FILE_NAME}: {}", first_line(&msg)));
            return Err(match e.span() {
                Some(span) => err.with_source(&display, &text, span, first_line(&msg)),
                None => err,
            });
        }
    };
    let root = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    let root = if root.as_os_str().is_empty() { PathBuf::from(".") } else { root };
    let located = |span: std::ops::Range<usize>, msg: String, label: &str| ToolError::new(msg.clone()).with_source(&display, &text, span, label);

    if raw.schema.get_ref().trim().is_empty() {
        return Err(located(raw.schema.span(), "`schema` is empty".into(), "a path to the JSON Schema"));
    }
    if raw.environments.is_empty() {
        return Err(ToolError::new(format!("{display} declares no environment")).with_help("add an [environments.NAME] table with `region` and `source`"));
    }

    let names: Vec<String> = raw.environments.keys().cloned().collect();
    let mut environments = BTreeMap::new();
    for (name, env) in raw.environments {
        let env_span = env.span();
        let mut env = env.into_inner();
        env.name = name.clone();
        check_environment(&name, &env, env_span, &names, &located)?;
        environments.insert(name, env);
    }

    if let Some(h) = &raw.hook.env
        && !names.contains(h)
    {
        let at = text.find("[hook]").unwrap_or(0);
        return Err(located(at..at + 6, format!("[hook] env names an unknown environment `{h}`"), &format!("known: {}", names.join(", "))));
    }

    let mut artifacts = Vec::new();
    let mut seen = Vec::<String>::new();
    for a in raw.artifacts {
        let span = a.span();
        let a = a.into_inner();
        if seen.contains(a.name.get_ref()) {
            return Err(located(a.name.span(), format!("artifact `{}` is declared twice", a.name.get_ref()), "second declaration"));
        }
        if a.paths.get_ref().is_empty() {
            return Err(located(a.paths.span(), format!("artifact `{}` lists no paths", a.name.get_ref()), "list the source paths the artifact is built from"));
        }
        if a.name.get_ref().trim().is_empty() {
            return Err(located(span, "an artifact needs a name".into(), "here"));
        }
        seen.push(a.name.get_ref().clone());
        artifacts.push(a);
    }

    Ok(Config { path: path.to_path_buf(), root, schema: raw.schema, environments, artifacts, hook: raw.hook, text })
}

/// The checks of one `[environments.NAME]` table, each error located at its key.
fn check_environment(
    name: &str,
    env: &Environment,
    env_span: std::ops::Range<usize>,
    names: &[String],
    located: &dyn Fn(std::ops::Range<usize>, String, &str) -> ToolError,
) -> Result<(), ToolError> {
    if !valid_env_name(name) {
        return Err(located(env_span, format!("environment name `{name}` is not usable"), "names are letters, digits, '-', '_' and '.'"));
    }
    if !valid_region(env.region.get_ref()) {
        return Err(located(env.region.span(), format!("`{}` is not an AWS region name", env.region.get_ref()), "expected a region such as us-east-1"));
    }
    for r in &env.failover_regions {
        if !valid_region(r.get_ref()) {
            return Err(located(r.span(), format!("`{}` is not an AWS region name", r.get_ref()), "expected a region such as us-west-2"));
        }
    }
    if let Some(vpc) = &env.vpc
        && !crate::aws_ids::is_id(vpc.get_ref(), "vpc")
    {
        return Err(located(vpc.span(), format!("`{}` is not a VPC id", vpc.get_ref()), "expected vpc- followed by 8 or 17 hex digits"));
    }
    if let Some(a) = &env.account
        && !valid_account(a.get_ref())
    {
        return Err(located(a.span(), format!("`{}` is not an AWS account id", a.get_ref()), "an account id is 12 digits, e.g. \"222222222222\""));
    }
    if let Some(r) = &env.role_arn {
        if !valid_role_arn(r.get_ref()) {
            return Err(located(r.span(), format!("`{}` is not an IAM role ARN", r.get_ref()), "expected arn:aws:iam::ACCOUNT:role/NAME"));
        }
        if let (Some(a), Some(role_account)) = (&env.account, r.get_ref().split(':').nth(4))
            && a.get_ref() != role_account
        {
            return Err(located(
                r.span(),
                format!("the role is in account {role_account}, but `account` says {}", a.get_ref()),
                "assume a role of the environment's own account",
            ));
        }
    }
    if let Some(x) = &env.external_id {
        if env.role_arn.is_none() {
            return Err(located(x.span(), "`external_id` needs a `role_arn`".into(), "it is passed when the role is assumed"));
        }
        if x.get_ref().len() < 2 || x.get_ref().len() > 1224 {
            return Err(located(x.span(), "an external id is 2 to 1224 characters".into(), "here"));
        }
    }
    if let Some(p) = &env.profile
        && p.get_ref().trim().is_empty()
    {
        return Err(located(p.span(), "`profile` is empty".into(), "name a profile of ~/.aws/config"));
    }
    if let Some(t) = &env.tested_as {
        if t.get_ref() == name {
            return Err(located(
                t.span(),
                format!("environment `{name}` cannot be tested as itself"),
                "name the environment the tests ran against, e.g. staging",
            ));
        }
        if !names.contains(t.get_ref()) {
            return Err(located(t.span(), format!("`tested_as` names an unknown environment `{}`", t.get_ref()), &format!("known: {}", names.join(", "))));
        }
    }
    Ok(())
}

impl Config {
    /// How reports name this file: its file name (locations are relative to its directory).
    pub fn file_name(&self) -> String {
        self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| FILE_NAME.to_string())
    }

    /// Where in this file a span of its text is: the location findings about a setting (an
    /// `[[artifacts]]` entry, `vpc`, `account`, `source`) point at.
    pub fn location(&self, span: std::ops::Range<usize>) -> crate::report::Location {
        let (line, column) = crate::diag::line_col(&self.text, span.start);
        crate::report::Location { path: self.file_name(), line: line as u32, column: column as u32, span: None }
    }

    /// Resolves a path written in the config against the config's directory.
    pub fn resolve(&self, rel: &str) -> PathBuf {
        let p = Path::new(rel);
        if p.is_absolute() { p.to_path_buf() } else { self.root.join(p) }
    }

    /// The path of a file preflight.toml names for reading, confined to the repository and
    /// refused unless it is a regular file (SPEC section 5). `what` names its role.
    pub fn input(&self, rel: &str, what: &str) -> Result<PathBuf, ToolError> {
        crate::files::confine(&self.root, rel, what)
    }

    /// Every file this config makes preflight read, for any environment: an output that
    /// resolves to one of these is refused.
    pub fn input_paths(&self) -> Vec<PathBuf> {
        let mut out = vec![self.path.clone(), self.resolve(self.schema.get_ref())];
        for env in self.environments.values() {
            for entry in &env.source.get_ref().0 {
                if let SourceEntry::Dotenv { path: rel, .. } | SourceEntry::TaskDefinition { path: rel, .. } = entry {
                    out.push(self.resolve(rel));
                }
            }
        }
        for a in &self.artifacts {
            if let Some(Provenance::File(rel)) = a.provenance.as_ref().map(|p| p.get_ref()) {
                out.push(self.resolve(rel));
            }
        }
        out
    }

    /// Picks the environment: the named one, or the only one there is.
    pub fn environment(&self, name: Option<&str>) -> Result<&Environment, ToolError> {
        let known = || self.environments.keys().cloned().collect::<Vec<_>>().join(", ");
        match name {
            Some(n) => self.environments.get(n).ok_or_else(|| {
                ToolError::new(format!("no environment named `{n}` in {}", self.path.display())).with_help(format!("known environments: {}", known()))
            }),
            None if self.environments.len() == 1 => Ok(self.environments.values().next().expect("one environment")),
            None => {
                Err(ToolError::new("more than one environment is configured; say which with --env NAME").with_help(format!("known environments: {}", known())))
            }
        }
    }

    /// A located error pointing at a span of the config text.
    pub fn error_at(&self, span: std::ops::Range<usize>, msg: impl Into<String>, label: &str) -> ToolError {
        ToolError::new(msg).with_source(&self.path.display().to_string(), &self.text, span, label)
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

fn valid_env_name(n: &str) -> bool {
    !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-5`, `cn-north-1`.
/// An AWS account id: exactly 12 digits.
pub fn valid_account(a: &str) -> bool {
    a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())
}

/// `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`.
pub fn valid_role_arn(r: &str) -> bool {
    let parts: Vec<&str> = r.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && valid_account(parts[4])
        && parts[5].strip_prefix("role/").is_some_and(|n| !n.is_empty() && n.len() <= 512)
}

pub fn valid_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[1..parts.len() - 1].iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts.last().is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Config, ToolError> {
        parse(Path::new("preflight.toml"), text.to_string())
    }

    const GOOD: &str = r#"
schema = "deploy/env.schema.json"

[environments.staging]
region = "eu-west-1"
source = { dotenv = "deploy/staging.env" }

[environments.production]
region = "us-east-1"
failover_regions = ["us-west-2"]
source = [{ dotenv = "deploy/base.env" }, { ssm_path = "/app/prod/" }, { process = true }]
vpc = "vpc-0123456789abcdef0"
tested_as = "staging"

[[artifacts]]
name = "launcher"
paths = ["tools/launcher", "go.mod"]
provenance = "dist/launcher.provenance.json"

[[artifacts]]
name = "image"
paths = ["packer"]
provenance = { image_var = "LAUNCH_AMI", tag = "preflight:source-digest" }

[hook]
refs = ["refs/heads/release/*"]
"#;

    #[test]
    fn parses_the_spec_example() {
        let c = p(GOOD).unwrap();
        let prod = &c.environments["production"];
        assert_eq!(prod.regions(), vec!["us-east-1", "us-west-2"]);
        assert_eq!(prod.source.get_ref().0.len(), 3);
        assert_eq!(prod.source.get_ref().0[1], SourceEntry::SsmPath("/app/prod/".into()));
        assert_eq!(prod.lock_path(), ".preflight/production.lock.json");
        assert!(matches!(c.artifacts[1].provenance.as_ref().unwrap().get_ref(), Provenance::Image(_)));
        assert_eq!(c.hook.refs, vec!["refs/heads/release/*"]);
    }

    #[test]
    fn unknown_key_points_at_its_line() {
        let text = GOOD.replace("failover_regions", "failover_region");
        let e = p(&text).unwrap_err();
        assert!(e.to_string().contains("unknown field `failover_region`"), "{e}");
        let (line, _) = e.line_col().unwrap();
        assert_eq!(line, 10);
    }

    #[test]
    fn wrong_type_is_located() {
        let e = p(&GOOD.replace("region = \"us-east-1\"", "region = 42")).unwrap_err();
        assert!(e.line_col().is_some());
    }

    #[test]
    fn source_needs_exactly_one_kind() {
        let e = p(&GOOD.replace("{ dotenv = \"deploy/staging.env\" }", "{ dotenv = \"a\", process = true }")).unwrap_err();
        assert!(e.to_string().contains("exactly one"), "{e}");
        let e = p(&GOOD.replace("{ dotenv = \"deploy/staging.env\" }", "{ file = \"a\" }")).unwrap_err();
        assert!(e.to_string().contains("unknown field `file`"), "{e}");
    }

    #[test]
    fn tested_as_must_name_an_environment() {
        let e = p(&GOOD.replace("tested_as = \"staging\"", "tested_as = \"stagin\"")).unwrap_err();
        assert!(e.to_string().contains("unknown environment"), "{e}");
    }

    #[test]
    fn bad_region_and_vpc() {
        assert!(p(&GOOD.replace("\"us-west-2\"", "\"uswest2\"")).is_err());
        assert!(p(&GOOD.replace("vpc-0123456789abcdef0", "vpc-xyz")).is_err());
    }

    #[test]
    fn hook_env_must_exist() {
        let e = p(&GOOD.replace("refs = [\"refs/heads/release/*\"]", "refs = []\nenv = \"prod\"")).unwrap_err();
        assert!(e.to_string().contains("unknown environment `prod`"), "{e}");
        assert!(p(&GOOD.replace("refs = [\"refs/heads/release/*\"]", "env = \"production\"")).is_ok());
    }

    #[test]
    fn regions() {
        for ok in ["us-east-1", "us-gov-west-1", "ap-southeast-5", "eu-central-2"] {
            assert!(valid_region(ok), "{ok}");
        }
        for bad in ["us-east", "US-EAST-1", "useast1", "", "us--1"] {
            assert!(!valid_region(bad), "{bad}");
        }
    }

    mod random {
        use super::*;
        use proptest::prelude::*;

        /// Pieces of preflight.toml, shuffled into mostly-wrong files.
        const PIECES: &[&str] = &[
            "schema = \"s.json\"\n",
            "[environments.prod]\n",
            "[environments.\"a b\"]\n",
            "region = \"us-east-1\"\n",
            "region = 7\n",
            "source = { dotenv = \"p.env\" }\n",
            "source = [{ ssm_path = \"/a/\" }, { process = true }]\n",
            "source = []\n",
            "source = { process = false }\n",
            "vpc = \"vpc-0123456789abcdef0\"\n",
            "tested_as = \"prod\"\n",
            "failover_regions = [\"us-west-2\", 3]\n",
            "[[artifacts]]\n",
            "name = \"x\"\n",
            "paths = []\n",
            "provenance = { image_var = \"A\" }\n",
            "[hook]\n",
            "refs = [\"refs/tags/v*\"]\n",
            "= =\n",
            "[[\n",
            "\"\"\"\n",
            "x = {{{{{{{{{{{{\n",
            "\u{feff}",
            "\r\n",
            "a.b.c.d = 1\n",
            "[environments]\n",
        ];

        proptest! {
            #[test]
            fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let _ = parse(Path::new("preflight.toml"), text);
            }

            #[test]
            fn shuffled_pieces_never_panic(idx in proptest::collection::vec(0..PIECES.len(), 0..40)) {
                let text: String = idx.iter().map(|i| PIECES[*i]).collect();
                if let Err(e) = parse(Path::new("preflight.toml"), text.clone()) {
                    // Every error says something, and a located one points inside the file.
                    prop_assert!(!e.message().is_empty());
                    if let Some((line, _)) = e.line_col() {
                        prop_assert!(line <= text.lines().count().max(1) + 1);
                    }
                }
            }

            #[test]
            fn deep_nesting_is_an_error_not_a_stack_overflow(depth in 1usize..5000) {
                let text = format!("schema = {}{}", "[".repeat(depth), "]".repeat(depth));
                prop_assert!(parse(Path::new("preflight.toml"), text).is_err(), "a nested array is not a schema path");
            }
        }
    }
}
