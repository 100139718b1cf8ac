//! The env family: reading the variables from their sources (`env-syntax`, `env-duplicate`)
//! and validating them against the schema (`env-missing`, `env-unknown`, `env-type`,
//! `env-schema`), including the offline shape of `x-aws` values.

pub mod rules;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use jsonschema::error::ValidationErrorKind;
use serde_json::{Map, Value};

use crate::checks::Sink;
use crate::config::{Config, Dialect};
use crate::diag::{ToolError, read_capped};
use crate::env::dotenv;
use crate::env::{EnvSet, Origin, Variable};
use crate::report::{Finding, Location, SourceFile, mask_ranges};
use crate::schema::{AwsKind, EnvSchema, resource_names};
use rules::*;

/// At most this many findings of one rule per file; then one finding says how many more.
pub const MAX_PER_RULE: usize = 50;

/// Largest env file read; a bigger one is reported, not parsed.
pub const MAX_ENV_BYTES: u64 = 64 << 20;

/// Reads one dotenv file into `set`, reporting unparsable lines and duplicates.
/// A missing or unreadable file is a tool error: the path in preflight.toml is wrong.
pub fn load_dotenv(cfg: &Config, rel: &str, dialect: Dialect, schema: &EnvSchema, set: &mut EnvSet, sink: &mut Sink) -> Result<(), ToolError> {
    let path = cfg.input(rel, "env file")?;
    let display = display_path(cfg, &path, rel);
    let bytes = match read_capped(&path, MAX_ENV_BYTES, "env file") {
        Ok(b) => b,
        Err(e) if path.is_file() => {
            // Too large (or unreadable mid-way): the environment is unusable, not the tool.
            sink.findings.push(
                Finding::new(&ENV_SYNTAX, e.message().to_string())
                    .help("an env file holds KEY=value lines; check that the path points at the right file")
                    .at(Some(Location { path: display.clone(), line: 1, column: 1, span: None })),
            );
            return Ok(());
        }
        Err(e) => return Err(e.with_help(format!("the `source` of this environment names {rel}; create it or fix the path in {}", cfg.path.display()))),
    };
    if dialect == Dialect::Docker {
        load_docker(&bytes, display, schema, set, sink);
        return Ok(());
    }
    let text = placeholder_text(&bytes);
    let loc = |span: dotenv::Span, pos: dotenv::Pos| Location { path: display.clone(), line: pos.line, column: pos.column, span: Some((span.start, span.end)) };

    // Entries are handled as they are read (a huge file of repeated lines keeps only its
    // variables); an unterminated quote's masking needs the next assignment after it, so the
    // starts of the lines that assign are kept (one offset each).
    let mut mask = Vec::new();
    let mut assignments: Vec<usize> = Vec::new();
    // Per key: the line it was last set on, and what its name and schema say of its secrecy
    // (`Some`: decided whatever the value; `None`: the value's shape decides), so a file that
    // repeats a key classifies its name once.
    let mut seen: HashMap<String, (u32, Option<bool>)> = HashMap::new();
    let mut duplicates = 0usize;
    let mut first_extra: Option<Location> = None;
    let errors = dotenv::parse_with(&bytes, |entry| {
        if entry.value.is_some() {
            assignments.push(entry.key_span.start);
        }
        let previous = match seen.get_mut(&entry.key) {
            Some((line, _)) => Some(std::mem::replace(line, entry.key_pos.line)),
            None => {
                let by_name = match schema.write_only(&entry.key) {
                    Some(says) => Some(says),
                    None => crate::secrets::classify(&entry.key, None, None).map(|_| true),
                };
                seen.insert(entry.key.clone(), (entry.key_pos.line, by_name));
                None
            }
        };
        let secret = match seen.get(&entry.key).and_then(|(_, s)| *s) {
            Some(decided) => decided,
            None => entry.value.as_deref().is_some_and(|v| crate::secrets::classify::by_value(v).is_some()),
        };
        if secret && let Some(s) = entry.value_span {
            mask.push((s.start, s.end));
        }
        if let Some(previous) = previous {
            duplicates += 1;
            if duplicates <= MAX_PER_RULE {
                sink.findings.push(
                    Finding::new(&ENV_DUPLICATE, format!("set again; this value overrides the one on line {previous}"))
                        .key(&entry.key)
                        .help("remove one of the two lines: only the last one takes effect, which is easy to miss in review")
                        .at(Some(loc(entry.key_span, entry.key_pos))),
                );
            } else if first_extra.is_none() {
                first_extra = Some(loc(entry.key_span, entry.key_pos));
            }
        }
        let Some(value) = entry.value else { return };
        set.set(Variable {
            name: entry.key,
            raw: value,
            value: None,
            origin: Origin::File { key: loc(entry.key_span, entry.key_pos), value: entry.value_span.zip(entry.value_pos).map(|(s, p)| loc(s, p)) },
        });
    });
    if duplicates > MAX_PER_RULE {
        let more = duplicates - MAX_PER_RULE;
        sink.findings.push(
            Finding::new(&ENV_DUPLICATE, format!("and {more} more variable{} set again in this file", if more == 1 { "" } else { "s" }))
                .help("only the first findings of a rule are listed per file; remove the repeated lines")
                .at(first_extra),
        );
    }

    for e in &errors {
        sink.findings.push(
            Finding::new(&ENV_SYNTAX, e.message.clone())
                .help("write KEY=value, quote values with spaces or '#' (\"...\" or '...'), and close every quote")
                .at(Some(loc(e.span, e.pos))),
        );
        mask.extend(unparsable_secret(&text, e, schema, &assignments));
    }
    set.files.push(SourceFile { path: display, text: Arc::from(mask_ranges(&text, &mask)) });
    Ok(())
}

/// The part of an unparsable statement to mask, when its key names a secret (an unclosed quote
/// can run over several lines): after its first '=', and after an unclosed quote up to the next
/// real assignment (the parser reads the lines between as bare keys).
fn unparsable_secret(text: &str, e: &dotenv::SyntaxError, schema: &EnvSchema, assignments: &[usize]) -> Option<(usize, usize)> {
    let (start, mut end) = secret_tail(text, e.statement, schema)?;
    if e.unterminated {
        let next = assignments.partition_point(|&s| s < e.statement.end);
        end = assignments.get(next).map_or(text.len(), |&k| line_start(text, k)).max(end);
    }
    Some((start, end))
}

/// Reads an env file as `docker run --env-file` and ECS `environmentFiles` do (values taken
/// literally), warning (`env-dialect`) where python-dotenv would read a value differently. A
/// line docker refuses fails the whole file, as it does for docker: one `env-syntax` finding.
fn load_docker(bytes: &[u8], display: String, schema: &EnvSchema, set: &mut EnvSet, sink: &mut Sink) {
    let text = placeholder_text(bytes);
    let lookup = |k: &str| std::env::var(k).ok();
    let entries = match crate::env::docker::parse(bytes, &lookup) {
        Ok(e) => e,
        Err(e) => {
            sink.findings.push(
                Finding::new(&ENV_SYNTAX, e.message)
                    .help("docker reads one KEY=value a line, a key without spaces; it rejects the whole file over one bad line")
                    .at(Some(Location { path: display.clone(), line: e.line, column: e.column, span: None })),
            );
            set.files.push(SourceFile { path: display, text: Arc::from(text.as_str()) });
            return;
        }
    };
    let mut mask = Vec::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    for e in entries {
        let at = Location { path: display.clone(), line: e.line, column: e.value_column, span: Some(e.value_span) };
        let secret = crate::secrets::classify(&e.key, Some(&e.value), schema.write_only(&e.key)).is_some();
        if secret && !e.from_process {
            mask.push(e.value_span);
        }
        if let Some(previous) = seen.insert(e.key.clone(), e.line) {
            sink.findings.push(
                Finding::new(&ENV_DUPLICATE, format!("set again; this value overrides the one on line {previous}"))
                    .key(&e.key)
                    .help("remove one of the two lines: only the last one takes effect, which is easy to miss in review")
                    .at(Some(at.clone())),
            );
        }
        if !e.from_process
            && let Some(other) = crate::env::docker::dotenv_reading(&e.value)
        {
            let message = if secret {
                "docker passes this value as written (quotes, spaces and `#` included), which is not what python-dotenv reads".to_string()
            } else {
                format!("docker passes this value as written, quotes included: the app receives `{}`, not `{other}`", e.value)
            };
            sink.findings.push(
                Finding::new(&ENV_DIALECT, message)
                    .key(&e.key)
                    .help("docker needs no quotes, even for spaces: write KEY=value; keep the quotes only if the app expects them")
                    .at(Some(at.clone())),
            );
        }
        let origin = if e.from_process { Origin::Process } else { Origin::File { key: Location { span: None, column: 1, ..at.clone() }, value: Some(at) } };
        set.set(Variable { name: e.key, raw: e.value.clone(), value: None, origin });
    }
    set.files.push(SourceFile { path: display, text: Arc::from(mask_ranges(&text, &mask)) });
}

/// Adds the parameters read from an `ssm_path` source; the variable is the name's last segment.
pub fn load_ssm_path(
    cfg: &Config,
    env: &crate::config::Environment,
    path: &str,
    mut params: Vec<crate::cloud::Parameter>,
    set: &mut EnvSet,
    hidden: &mut std::collections::BTreeSet<String>,
    sink: &mut Sink,
) {
    let region = env.region.get_ref().as_str();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    params.sort_by(|a, b| a.name.cmp(&b.name));
    for p in params {
        let name = p.name.rsplit('/').next().unwrap_or(&p.name).to_string();
        if name.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert(name.clone(), p.name.clone()) {
            sink.findings.push(
                Finding::new(&ENV_DUPLICATE, format!("set by both {first} and {} under {path}; the latter wins", p.name))
                    .key(&name)
                    .region(region)
                    .help("keep one parameter per variable name under the path")
                    .at(Some(cfg.location(env.source.span()))),
            );
        }
        if p.value.is_none() {
            hidden.insert(name.clone());
        }
        set.set(Variable {
            name: name.clone(),
            raw: p.value.clone().unwrap_or_default(),
            value: p.value,
            origin: Origin::Ssm { parameter: p.name, region: region.to_string() },
        });
    }
}

/// Largest task definition file read (real ones are a few kilobytes).
pub const MAX_TASK_DEFINITION_BYTES: u64 = 16 << 20;

/// Reads one container's `environment` and `secrets` from a task definition file. A file that
/// is not a task definition, or has no such container, is a tool error naming the place: the
/// path or the container in preflight.toml is wrong. Returns the `environmentFiles` the
/// container also reads (S3 object ARNs, which preflight does not fetch).
pub fn load_task_definition_file(
    cfg: &Config,
    rel: &str,
    container: &str,
    set: &mut EnvSet,
    hidden: &mut std::collections::BTreeSet<String>,
    sink: &mut Sink,
) -> Result<Vec<String>, ToolError> {
    use crate::env::task_definition as td;
    let path = cfg.input(rel, "task definition")?;
    let display = display_path(cfg, &path, rel);
    let bytes = read_capped(&path, MAX_TASK_DEFINITION_BYTES, "task definition")?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column) = crate::diag::invalid_utf8_at(&e);
        ToolError::new(format!("{display}:{line}:{column}: the task definition is not valid UTF-8"))
    })?;
    let parsed = match td::parse(&text, container) {
        Ok(p) => p,
        Err(td::Error::Malformed { message, offset }) => {
            let (line, column) = crate::diag::line_col(&text, offset);
            return Err(ToolError::new(format!("{display}:{line}:{column}: {message}")).with_help(
                "the file should be the JSON given to `aws ecs register-task-definition --cli-input-json` (or printed by describe-task-definition)",
            ));
        }
        Err(td::Error::NoContainer { name, available }) => {
            return Err(ToolError::new(format!("{display} has no container named `{name}` (it has: {})", available.join(", ")))
                .with_help(format!("fix `container` in {}", cfg.path.display())));
        }
    };
    let loc = |span: (usize, usize)| {
        let (line, column) = crate::diag::line_col(&text, span.0);
        Some(Location { path: display.clone(), line: line as u32, column: column as u32, span: Some(span) })
    };
    let mut mask = Vec::new();
    let mut seen: HashMap<String, Option<Location>> = HashMap::new();
    for (e, value_from) in parsed.environment.iter().map(|e| (e, false)).chain(parsed.secrets.iter().map(|e| (e, true))) {
        let (key, value) = (loc(e.name_span), loc(e.value_span));
        if let Some(first) = seen.insert(e.name.clone(), key.clone()) {
            let line = first.map_or(0, |l| l.line);
            sink.findings.push(
                Finding::new(
                    &ENV_DUPLICATE,
                    format!(
                        "`{}` is defined twice in container {container} (first on line {line}); ECS refuses a variable in both `environment` and `secrets`",
                        e.name
                    ),
                )
                .key(&e.name)
                .help("keep one entry per name")
                .at(key.clone()),
            );
        }
        if !value_from && crate::secrets::classify(&e.name, Some(&e.value), None).is_some() {
            mask.push(e.value_span);
        }
        if value_from {
            hidden.insert(e.name.clone());
        }
        let origin = Origin::TaskDefinition { revision: display.clone(), key, value, value_from };
        set.set(Variable { name: e.name.clone(), raw: e.value.clone(), value: None, origin });
    }
    set.files.push(SourceFile { path: display, text: Arc::from(mask_ranges(&text, &mask)) });
    Ok(parsed.environment_files.into_iter().map(|f| f.value).collect())
}

/// An env file that a task definition's `environmentFiles` names (the S3 object's file name is the
/// file's), read with the default dialect: ECS reads it as docker does, so every value the two
/// dialects read differently is an `env-dialect` warning, and a line docker refuses (ECS too)
/// is one as well. Nothing else is reported: the file was already read as a source.
pub fn environment_file_dialect(cfg: &Config, rel: &str, object: &str, schema: &EnvSchema, sink: &mut Sink) -> Result<(), ToolError> {
    let path = cfg.input(rel, "env file")?;
    let display = display_path(cfg, &path, rel);
    let Ok(bytes) = read_capped(&path, MAX_ENV_BYTES, "env file") else { return Ok(()) };
    let mut dotenv_values: HashMap<String, Option<String>> = HashMap::new();
    let _ = dotenv::parse_with(&bytes, |e| {
        dotenv_values.insert(e.key, e.value);
    });
    let help = format!("{object} is read by ECS as docker --env-file reads it: write KEY=value without quotes, escapes or inline comments");
    let lookup = |_: &str| None;
    match crate::env::docker::parse(&bytes, &lookup) {
        Err(e) => sink.findings.push(
            Finding::new(
                &ENV_DIALECT,
                format!("ECS reads this file through environmentFiles ({object}); docker --env-file would refuse it ({}), and the ECS agent skips or misreads such a line", e.message),
            )
                .help(help)
                .at(Some(Location { path: display, line: e.line, column: e.column, span: None })),
        ),
        Ok(entries) => {
            for e in entries {
                let Some(Some(dotenv)) = dotenv_values.get(&e.key) else { continue };
                if *dotenv == e.value {
                    continue;
                }
                let secret = crate::secrets::classify(&e.key, Some(dotenv), schema.write_only(&e.key)).is_some();
                let message = if secret {
                    format!("ECS reads this file through environmentFiles ({object}) and passes the value as written, not as python-dotenv reads it")
                } else {
                    format!("ECS reads this file through environmentFiles ({object}): the app receives `{}`, not `{dotenv}`", e.value)
                };
                let at = Location { path: display.clone(), line: e.line, column: e.value_column, span: Some(e.value_span) };
                sink.findings.push(Finding::new(&ENV_DIALECT, message).key(&e.key).help(help.clone()).at(Some(at)));
            }
        }
    }
    Ok(())
}

/// Reads one container's `environment` and `secrets` from a registered task definition.
pub fn load_task_definition(
    cfg: &Config,
    id: &str,
    td: &crate::cloud::TaskDefinition,
    container: &str,
    set: &mut EnvSet,
    hidden: &mut std::collections::BTreeSet<String>,
) -> Result<(), ToolError> {
    let Some(c) = td.containers.iter().find(|c| c.name == container) else {
        let names: Vec<&str> = td.containers.iter().map(|c| c.name.as_str()).collect();
        return Err(ToolError::new(format!("task definition {id} has no container named `{container}` (it has: {})", names.join(", ")))
            .with_help(format!("fix `container` in {}", cfg.path.display())));
    };
    let revision = if td.arn.is_empty() { id.to_string() } else { td.arn.clone() };
    for (name, value) in &c.environment {
        set.set(Variable {
            name: name.clone(),
            raw: value.clone(),
            value: None,
            origin: Origin::TaskDefinition { revision: revision.clone(), key: None, value: None, value_from: false },
        });
    }
    for (name, value_from) in &c.secrets {
        hidden.insert(name.clone());
        set.set(Variable {
            name: name.clone(),
            raw: value_from.clone(),
            value: None,
            origin: Origin::TaskDefinition { revision: revision.clone(), key: None, value: None, value_from: true },
        });
    }
    Ok(())
}

/// Reads the schema's variables from preflight's own process environment.
pub fn load_process(schema: &EnvSchema, set: &mut EnvSet, sink: &mut Sink) {
    for name in schema.properties.keys() {
        match std::env::var(name) {
            Ok(value) => set.set(Variable { name: name.clone(), raw: value, value: None, origin: Origin::Process }),
            Err(std::env::VarError::NotPresent) => {}
            Err(std::env::VarError::NotUnicode(_)) => sink.findings.push(
                Finding::new(&ENV_SYNTAX, "the process environment holds a value that is not valid UTF-8").key(name).help("export the variable as UTF-8 text"),
            ),
        }
    }
}

/// How a file is named in reports: relative to the config's directory when it is inside it.
pub fn display_path(cfg: &Config, path: &Path, rel: &str) -> String {
    if Path::new(rel).is_relative() {
        return rel.replace('\\', "/");
    }
    path.strip_prefix(&cfg.root).map(|p| p.display().to_string()).unwrap_or_else(|_| path.display().to_string())
}

/// The file's text with each invalid UTF-8 byte replaced by `?`, keeping byte offsets intact.
fn placeholder_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for _ in chunk.invalid() {
            out.push('?');
        }
    }
    out
}

/// For an unparsable statement: the byte range that may hold a secret's value. That is the
/// text after the key when the key names a secret (or cannot be told apart from one), where the
/// key is what stands before the first '=', or, in a line with no '=' (`DB_PASSWORD hunter2`,
/// `DB_PASSWORD: hunter2`), its first word. A statement running over several lines (an
/// unclosed quote) is also masked from any later line that sets a secret.
fn secret_tail(text: &str, statement: dotenv::Span, schema: &EnvSchema) -> Option<(usize, usize)> {
    let start = statement.start.min(text.len());
    let end = statement.end.clamp(start, text.len());
    let stmt = text.get(start..end)?;
    let clean = |k: &str| k.trim().trim_start_matches("export").trim().trim_matches(|c| c == '\'' || c == '"').to_string();
    let (key, tail) = match stmt.find('=') {
        Some(eq) => (clean(&stmt[..eq]), eq + 1),
        None => {
            let body = stmt.trim_start();
            let mut offset = stmt.len() - body.len();
            let mut body = body;
            if let Some(rest) = body.strip_prefix("export").filter(|r| r.starts_with([' ', '\t'])) {
                let trimmed = rest.trim_start();
                offset += "export".len() + rest.len() - trimmed.len();
                body = trimmed;
            }
            let word = body.find(|c: char| c.is_whitespace() || c == ':').unwrap_or(body.len());
            (clean(&body[..word]), offset + word)
        }
    };
    if key.is_empty() || schema.is_secret(&key) {
        return Some((start + tail, end));
    }
    // Later lines of a multi-line statement.
    let mut line_start = 0;
    for line in stmt.split_inclusive('\n') {
        if line_start > 0
            && let Some(eq) = line.find('=')
        {
            let k = clean(&line[..eq]);
            if !k.is_empty() && schema.is_secret(&k) {
                return Some((start + line_start + eq + 1, end));
            }
        }
        line_start += line.len();
    }
    None
}

fn line_start(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1)
}

/// What validation produced: typed values for the later checks.
#[derive(Debug, Default)]
pub struct Validated {
    /// Variables whose value converted to its type, as JSON.
    pub typed: BTreeMap<String, Value>,
    /// Variables with a cloud kind and well-formed names, ready for live lookups.
    pub resources: Vec<(String, AwsKind, String)>,
}

/// Validates the environment against the schema. `unknown` names variables whose value could
/// not be resolved (their value is not judged); `incomplete` means a source could not be read,
/// so a missing variable is not reported as missing.
pub fn validate(
    schema: &EnvSchema,
    env: &EnvSet,
    secrets: &crate::secrets::SecretSet,
    unknown: &BTreeSet<String>,
    incomplete: bool,
    region: &str,
    sink: &mut Sink,
) -> Validated {
    let mut out = Validated::default();
    let mut skip: BTreeSet<String> = unknown.clone();
    let mut instance = Map::new();
    for (name, var) in &env.vars {
        let secret = secrets.contains(name);
        let Some(value) = var.value.as_ref() else {
            skip.insert(name.clone());
            instance.insert(name.clone(), Value::Null);
            continue;
        };
        let prop = schema.property(name);
        let typed = match prop {
            Some(p) => match p.convert(value) {
                Ok(v) => v,
                Err(expected) => {
                    let msg = if secret { format!("the value is not {expected}") } else { format!("{} is not {expected}", quote(value)) };
                    sink.findings.push(
                        Finding::new(&ENV_TYPE, msg)
                            .key(name)
                            .help(format!("the schema declares {name} as {expected}; environment values are strings and are converted before validation"))
                            .at(var.value_location()),
                    );
                    skip.insert(name.clone());
                    instance.insert(name.clone(), Value::String(value.clone()));
                    continue;
                }
            },
            None => Value::String(value.clone()),
        };
        if let Some(kind) = prop.and_then(|p| p.aws) {
            for item in resource_names(&typed) {
                match crate::checks::aws_syntax_problem(kind, &item, secret) {
                    Some((rule, msg, help)) => sink.findings.push(Finding::new(rule, msg).key(name).region(region).help(help).at(var.item_location(&item))),
                    None => out.resources.push((name.clone(), kind, item)),
                }
            }
        }
        instance.insert(name.clone(), typed.clone());
        out.typed.insert(name.clone(), typed);
    }

    let instance = Value::Object(instance);
    for err in schema.validator.iter_errors(&instance) {
        let path: Vec<String> = err.instance_path().iter().map(|s| s.to_string()).collect();
        let key = path.first().cloned();
        if key.as_ref().is_some_and(|k| skip.contains(k)) {
            continue;
        }
        match err.kind() {
            ValidationErrorKind::Required { property } if path.is_empty() => {
                let Some(name) = property.as_str() else { continue };
                if incomplete {
                    continue;
                }
                sink.findings.push(
                    Finding::new(&ENV_MISSING, "required by the schema but not set")
                        .key(name)
                        .help(format!("set {name} in this environment's source; the schema {} lists it under `required`", schema.display_path)),
                );
            }
            ValidationErrorKind::AdditionalProperties { unexpected } | ValidationErrorKind::UnevaluatedProperties { unexpected } if path.is_empty() => {
                for name in unexpected {
                    let var = env.vars.get(name);
                    sink.findings.push(
                        Finding::new(&ENV_UNKNOWN, "set, but the schema does not allow it")
                            .key(name)
                            .help(format!("remove it, fix its spelling, or add it to `properties` in {}", schema.display_path))
                            .at(var.and_then(|v| v.key_location())),
                    );
                }
            }
            kind => sink.findings.push(keyword_finding(schema, env, secrets, &err, kind, key.clone())),
        }
    }
    out
}

/// Any other schema violation of one variable (or of the whole environment): `env-type` or
/// `env-schema`, with a message that never quotes a secret.
fn keyword_finding(
    schema: &EnvSchema,
    env: &EnvSet,
    secrets: &crate::secrets::SecretSet,
    err: &jsonschema::ValidationError<'_>,
    kind: &ValidationErrorKind,
    key: Option<String>,
) -> Finding {
    let name = key.clone();
    // A validation error's own text quotes the instance (the value, or a secret
    // object's keys). For a secret variable, or an error on the whole environment
    // (anyOf, oneOf, not at the top level, which would quote every value), the
    // message is built from the keyword alone: nothing of the value can reach it.
    let secret = name.as_ref().is_none_or(|n| secrets.contains(n));
    let keyword = kind.keyword().to_string();
    let message = match (&name, secret) {
        (_, false) => err.to_string(),
        (Some(_), true) => masked_message(kind, &keyword),
        (None, true) => format!("the environment does not satisfy the schema's top-level `{keyword}` constraint"),
    };
    let help = match kind {
        ValidationErrorKind::Pattern { pattern } => format!("the value must match the pattern `{pattern}`"),
        ValidationErrorKind::Enum { options } if !secret => format!("allowed values: {options}"),
        ValidationErrorKind::Format { format } => format!("the value must be a valid `{format}`"),
        _ => format!("see the `{keyword}` constraint in {}", schema.display_path),
    };
    let rule = if matches!(kind, ValidationErrorKind::Type { .. }) { &ENV_TYPE } else { &ENV_SCHEMA };
    let var = name.as_ref().and_then(|n| env.vars.get(n));
    let mut f = Finding::new(rule, message).help(help).at(var.and_then(|v| v.value_location()));
    if let Some(n) = name {
        f = f.key(n);
    }
    f
}

/// A message about a secret value, from what the schema says (its limits, its pattern), never
/// from the instance: nothing of the value can reach it.
fn masked_message(kind: &ValidationErrorKind, keyword: &str) -> String {
    match kind {
        ValidationErrorKind::MinLength { limit } => format!("the value is shorter than {limit} characters"),
        ValidationErrorKind::MaxLength { limit } => format!("the value is longer than {limit} characters"),
        ValidationErrorKind::Minimum { limit } => format!("the value is less than the minimum of {limit}"),
        ValidationErrorKind::Maximum { limit } => format!("the value is greater than the maximum of {limit}"),
        ValidationErrorKind::Pattern { pattern } => format!("the value does not match `{pattern}`"),
        ValidationErrorKind::Format { format } => format!("the value is not a valid `{format}`"),
        ValidationErrorKind::Enum { .. } | ValidationErrorKind::Constant { .. } => "the value is not one of the allowed values".to_string(),
        _ => format!("the value does not satisfy the schema's `{keyword}` constraint"),
    }
}

fn quote(value: &str) -> String {
    const MAX: usize = 80;
    let shown: String = value.chars().take(MAX).collect();
    let more = if value.chars().count() > MAX { "..." } else { "" };
    format!("{:?}", format!("{shown}{more}"))
}
