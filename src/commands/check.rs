//! `preflight check`: loads the config and schema, finds the lock to compare with, runs the
//! check pipeline (`crate::check`) and renders the report in the chosen format.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{self, Config, Environment};
use crate::diag::ToolError;
use crate::lock::Lock;
use crate::report::{self, Format, Report, Verdict};
use crate::schema::EnvSchema;

/// What the user asked `check` for.
#[derive(Debug, Clone)]
pub struct Request {
    pub env: Option<String>,
    pub offline: bool,
    pub against: Option<PathBuf>,
    pub expect_fingerprint: Option<String>,
    pub rev: Option<String>,
    pub format: Option<Format>,
    pub output: Option<PathBuf>,
    pub timeout: Duration,
}

/// Where the report goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Standard output, or `--output`.
    Stdout,
    /// Standard error, as human text (the pre-push hook: git shows it to the user).
    Stderr,
}

/// Loads preflight.toml (found from `dir`, or `config`) and its schema.
pub fn load(config: Option<&Path>, dir: &Path) -> Result<(Config, EnvSchema), ToolError> {
    let cfg = config::load(&config::locate(config, dir)?)?;
    let schema_path = cfg.input(cfg.schema.get_ref(), "schema").map_err(|e| {
        cfg.error_at(cfg.schema.span(), e.message().to_string(), "this path")
            .with_help("the schema must be a regular file inside the repository holding preflight.toml")
    })?;
    if !schema_path.is_file() {
        return Err(cfg.error_at(cfg.schema.span(), format!("schema {} does not exist", cfg.schema.get_ref()), "this path"));
    }
    let schema = EnvSchema::load(&schema_path, cfg.schema.get_ref(), &cfg.root)?;
    Ok((cfg, schema))
}

/// The lock to compare with: `--against`, else the lock of the `tested_as` environment, which
/// must record that environment. Returns it with how to name it, and its path.
pub fn tested_lock(cfg: &Config, env: &Environment, against: Option<&Path>, dir: &Path) -> Result<Option<(Lock, String, PathBuf)>, ToolError> {
    match (against, &env.tested_as) {
        (Some(p), _) => {
            let p = if p.is_absolute() { p.to_path_buf() } else { dir.join(p) };
            let name = p.display().to_string();
            Ok(Some((crate::lock::read(&p, &name)?, name, p)))
        }
        (None, Some(tested)) => {
            let tested_env = cfg.environment(Some(tested.get_ref()))?;
            let rel = tested_env.lock_path();
            let path = cfg.input(&rel, "lock")?;
            let lock = crate::lock::read(&path, &rel).map_err(|e| {
                e.with_help(format!(
                    "`tested_as = \"{}\"`: run `preflight snapshot --env {}` after its tests pass, or pass --against LOCK",
                    tested.get_ref(),
                    tested.get_ref()
                ))
            })?;
            // A lock copied from another environment would compare the target with the wrong
            // one (with itself, at worst): the lock must record the environment tested_as names.
            if lock.environment != *tested.get_ref() {
                return Err(ToolError::new(format!("{rel} records environment `{}`, not `{}` as tested_as says", lock.environment, tested.get_ref()))
                    .with_help(format!(
                        "run `preflight snapshot --env {}` to record it, or pass --against LOCK to compare with another lock on purpose",
                        tested.get_ref()
                    )));
            }
            Ok(Some((lock, rel, path)))
        }
        (None, None) => Ok(None),
    }
}

/// Runs one check and renders its report.
pub fn run(config: Option<&Path>, dir: &Path, req: &Request, output_to: Output) -> Result<Verdict, ToolError> {
    let (cfg, schema) = load(config, dir)?;
    let env = cfg.environment(req.env.as_deref())?;
    let tested = tested_lock(&cfg, env, req.against.as_deref(), dir)?;
    let mut inputs = cfg.input_paths();
    inputs.extend(schema.files.iter().cloned());
    let against = tested.map(|(lock, name, path)| {
        inputs.push(path);
        (lock, name)
    });
    let opts =
        crate::check::Options { offline: req.offline, expect_fingerprint: req.expect_fingerprint.clone(), rev: req.rev.clone(), timeout: req.timeout, against };
    let report = crate::check::check(&cfg, env, &schema, &opts)?.report;
    match output_to {
        Output::Stderr => eprint!("{}", report::human::render(&report, false)),
        Output::Stdout => emit(&report, req.format, req.output.as_deref(), dir, &inputs)?,
    }
    Ok(report.verdict())
}

/// Renders the report in the chosen format to stdout, or atomically to `--output` (never over
/// one of the run's inputs, never through a symlink).
fn emit(report: &Report, format: Option<Format>, output: Option<&Path>, dir: &Path, inputs: &[PathBuf]) -> Result<(), ToolError> {
    let color = output.is_none() && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let text = match format {
        None if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") => report::human::render(report, color) + &report::github::annotations(report),
        None | Some(Format::Human) => report::human::render(report, color),
        Some(Format::Json) => report::json::render(report),
        Some(Format::Sarif) => report::sarif::render(report),
        Some(Format::Junit) => report::junit::render(report),
        Some(Format::Github) => report::github::render(report),
    };
    match output {
        Some(p) => {
            let p = if p.is_absolute() { p.to_path_buf() } else { dir.join(p) };
            crate::files::write_atomic(&p, text.as_bytes(), inputs, "--output")?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not a failure of the check.
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
    }
    Ok(())
}
