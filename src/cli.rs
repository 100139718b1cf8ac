//! Command-line definitions (SPEC section 2) and dispatch. Every flag can also come from a
//! `PREFLIGHT_*` environment variable through clap's `env` support, which gives the same
//! precedence users know from other tools: flag, then variable, then default.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::diag::ToolError;
use crate::report::{Report, Verdict};
use crate::{check, config, explain, init, report, schema, stamp};

#[derive(Debug, Parser)]
#[command(name = "preflight", version, about = "Blocks a rollout when the environment about to be deployed is not the one tested, or names cloud resources that do not exist.")]
pub struct Cli {
    /// Use this preflight.toml instead of searching the current directory and its parents.
    #[arg(long, global = true, env = "PREFLIGHT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Run as if started in DIR.
    #[arg(short = 'C', global = true, env = "PREFLIGHT_DIR", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check one environment: schema, SSM references, live resources, artifacts, drift.
    Check(CheckArgs),
    /// After the tests pass: record an environment as tested, in a lock file.
    Snapshot(SnapshotArgs),
    /// At build time: record which commit and sources an artifact is built from.
    Stamp(StampArgs),
    /// Install or remove the pre-push git hook that checks pushes to deploy refs.
    Hook {
        #[command(subcommand)]
        action: HookAction,
    },
    /// Print the documentation of a rule (or list every rule).
    Explain {
        /// A rule id such as ami-not-found.
        rule: Option<String>,
    },
    /// Write a starter preflight.toml and env.schema.json.
    Init {
        /// Infer the schema from this dotenv file.
        #[arg(long, value_name = "DOTENV")]
        from: Option<PathBuf>,
    },
    /// Print a shell completion script.
    Completions {
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum HookAction {
    /// Install the pre-push hook (keeps and chains to an existing one).
    Install {
        /// The environment to check (default: [hook] env, or the only environment).
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
    },
    /// Remove the hook and restore the one that was there before.
    Uninstall,
    /// Run by git: reads the pre-push protocol from stdin and checks pushes to deploy refs.
    #[command(hide = true)]
    PrePush {
        #[arg(long, env = "PREFLIGHT_ENV", value_name = "NAME")]
        env: Option<String>,
        #[arg(long, env = "PREFLIGHT_OFFLINE", value_parser = clap::builder::BoolishValueParser::new())]
        offline: bool,
        #[arg(long, env = "PREFLIGHT_TIMEOUT", value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
        timeout: Duration,
        /// The remote's name and URL, as git passes them.
        args: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The environment the tests ran against.
    #[arg(long, env = "PREFLIGHT_ENV", value_name = "NAME")]
    pub env: String,
    /// Where to write the lock (default: the environment's `lock`, or .preflight/NAME.lock.json).
    #[arg(long, env = "PREFLIGHT_OUTPUT", value_name = "LOCK")]
    pub output: Option<PathBuf>,
    /// Do not contact the cloud: resource attributes are not recorded, and `check` will say
    /// which comparisons it could not make.
    #[arg(long, env = "PREFLIGHT_OFFLINE", value_parser = clap::builder::BoolishValueParser::new())]
    pub offline: bool,
    /// Deadline for the run's cloud calls.
    #[arg(long, env = "PREFLIGHT_TIMEOUT", value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Exit 0 instead of 3 when some check could not complete.
    #[arg(long, env = "PREFLIGHT_ALLOW_UNVERIFIED", value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_unverified: bool,
}

#[derive(Debug, Args)]
pub struct StampArgs {
    /// The artifact, as named in preflight.toml's [[artifacts]].
    #[arg(long, env = "PREFLIGHT_ARTIFACT", value_name = "NAME")]
    pub artifact: String,
    /// Write the provenance here instead of the artifact's configured `provenance` path.
    #[arg(long, env = "PREFLIGHT_OUTPUT", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only print the source digest (for an image build to put in a tag).
    #[arg(long)]
    pub print_digest: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Junit,
    Github,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The environment to check (may be omitted when only one is configured).
    #[arg(long, env = "PREFLIGHT_ENV", value_name = "NAME")]
    pub env: Option<String>,
    /// Do not contact the cloud: check the schema and the shape of resource ids only.
    #[arg(long, env = "PREFLIGHT_OFFLINE", value_parser = clap::builder::BoolishValueParser::new())]
    pub offline: bool,
    /// Compare with this lock (written by `snapshot`) instead of the `tested_as` environment's.
    #[arg(long, env = "PREFLIGHT_AGAINST", value_name = "LOCK")]
    pub against: Option<PathBuf>,
    /// Block with fingerprint-mismatch unless the environment's fingerprint is FP.
    #[arg(long, env = "PREFLIGHT_EXPECT_FINGERPRINT", value_name = "FP")]
    pub expect_fingerprint: Option<String>,
    /// The git revision being deployed (default HEAD).
    #[arg(long, env = "PREFLIGHT_REV", value_name = "REV")]
    pub rev: Option<String>,
    /// Output format [default: human; under GitHub Actions, human plus annotations].
    #[arg(long, env = "PREFLIGHT_FORMAT", value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of standard output.
    #[arg(long, env = "PREFLIGHT_OUTPUT", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Deadline for the whole run's cloud calls, e.g. 60s, 2m.
    #[arg(long, env = "PREFLIGHT_TIMEOUT", value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Exit 0 instead of 3 when some check could not complete (the report still lists them).
    #[arg(long, env = "PREFLIGHT_ALLOW_UNVERIFIED", value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_unverified: bool,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| format!("{e} (examples: 60s, 2m, 1500ms)"))?;
    if d.is_zero() {
        return Err("the timeout must be longer than zero".into());
    }
    Ok(d)
}

/// Exit codes of SPEC section 2.
pub mod exit {
    pub const PASS: u8 = 0;
    pub const BLOCKED: u8 = 1;
    pub const TOOL: u8 = 2;
    pub const UNVERIFIED: u8 = 3;
}

/// Parses arguments, runs the command, and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{:?}", miette::Report::new(e));
            ExitCode::from(exit::TOOL)
        }
    }
}

fn run(cli: Cli) -> Result<u8, ToolError> {
    let cwd = std::env::current_dir().map_err(|e| ToolError::new(format!("cannot read the current directory: {e}")))?;
    let dir = match &cli.dir {
        Some(d) if d.is_absolute() => d.clone(),
        Some(d) => cwd.join(d),
        None => cwd,
    };
    if !dir.is_dir() {
        return Err(ToolError::new(format!("-C {}: not a directory", dir.display())));
    }
    match cli.command {
        Command::Check(args) => run_check(cli.config.as_deref(), &dir, &args),
        Command::Snapshot(args) => run_snapshot(cli.config.as_deref(), &dir, &args),
        Command::Hook { action } => run_hook(cli.config.as_deref(), &dir, action),
        Command::Stamp(args) => {
            let cfg = config::load(&config::locate(cli.config.as_deref(), &dir)?)?;
            stamp::run(&cfg, &args.artifact, args.output.as_deref(), args.print_digest, &dir)
        }
        Command::Explain { rule } => explain::run(rule.as_deref()),
        Command::Init { from } => init::run(&dir, from.as_deref()),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "preflight", &mut std::io::stdout());
            Ok(exit::PASS)
        }
    }
}

fn run_check(config: Option<&Path>, dir: &Path, args: &CheckArgs) -> Result<u8, ToolError> {
    run_check_to(config, dir, args, false)
}

/// Runs a check; `to_stderr` sends the report to stderr (the hook: git shows it to the user).
fn run_check_to(config: Option<&Path>, dir: &Path, args: &CheckArgs, to_stderr: bool) -> Result<u8, ToolError> {
    let (cfg, schema) = load(config, dir)?;
    let env = cfg.environment(args.env.as_deref())?;
    let against = match (&args.against, &env.tested_as) {
        (Some(p), _) => {
            let p = if p.is_absolute() { p.clone() } else { dir.join(p) };
            let name = p.display().to_string();
            Some((crate::lock::read(&p, &name)?, name))
        }
        (None, Some(tested)) => {
            let tested_env = cfg.environment(Some(tested.get_ref()))?;
            let rel = tested_env.lock_path();
            let lock = crate::lock::read(&cfg.resolve(&rel), &rel).map_err(|e| e.with_help(format!(
                "`tested_as = \"{}\"`: run `preflight snapshot --env {}` after its tests pass, or pass --against LOCK",
                tested.get_ref(), tested.get_ref()
            )))?;
            // A lock copied from another environment would compare the target with the wrong
            // one (with itself, at worst): the lock must record the environment tested_as names.
            if lock.environment != *tested.get_ref() {
                return Err(ToolError::new(format!(
                    "{rel} records environment `{}`, not `{}` as tested_as says",
                    lock.environment,
                    tested.get_ref()
                ))
                .with_help(format!("run `preflight snapshot --env {}` to record it, or pass --against LOCK to compare with another lock on purpose", tested.get_ref())));
            }
            Some((lock, rel))
        }
        (None, None) => None,
    };
    let opts = check::Options {
        offline: args.offline,
        expect_fingerprint: args.expect_fingerprint.clone(),
        rev: args.rev.clone(),
        timeout: args.timeout,
        against,
    };
    let report = check::check(&cfg, env, &schema, &opts)?.report;
    if to_stderr {
        eprint!("{}", report::human::render(&report, false));
    } else {
        emit(&report, args.format, args.output.as_deref(), dir)?;
    }
    Ok(match report.verdict() {
        Verdict::Pass => exit::PASS,
        Verdict::Blocked => exit::BLOCKED,
        Verdict::Unverified if args.allow_unverified => exit::PASS,
        Verdict::Unverified => exit::UNVERIFIED,
    })
}

fn load(config: Option<&Path>, dir: &Path) -> Result<(config::Config, schema::EnvSchema), ToolError> {
    let cfg = config::load(&config::locate(config, dir)?)?;
    let schema_path = cfg.resolve(cfg.schema.get_ref());
    if !schema_path.is_file() {
        return Err(cfg.error_at(cfg.schema.span(), format!("schema {} does not exist", cfg.schema.get_ref()), "this path"));
    }
    let schema = schema::EnvSchema::load(&schema_path, cfg.schema.get_ref())?;
    Ok((cfg, schema))
}

fn run_hook(config: Option<&Path>, dir: &Path, action: HookAction) -> Result<u8, ToolError> {
    match action {
        HookAction::Uninstall => crate::hook::uninstall(dir),
        HookAction::Install { env } => {
            let cfg = config::load(&config::locate(config, dir)?)?;
            crate::hook::install(&cfg, env.as_deref(), dir)
        }
        HookAction::PrePush { env, offline, timeout, .. } => {
            let input = crate::hook::read_stdin();
            let (cfg, _) = load(config, dir)?;
            let pushes = crate::hook::pushes_to_check(&input, &cfg.hook.refs)?;
            if pushes.is_empty() {
                return Ok(exit::PASS);
            }
            let env = env.or_else(|| cfg.hook.env.clone());
            let mut worst = exit::PASS;
            for (remote_ref, sha) in pushes {
                eprintln!("preflight: checking {} for the push to {remote_ref}", &sha[..sha.len().min(12)]);
                let args = CheckArgs {
                    env: env.clone(),
                    offline,
                    against: None,
                    expect_fingerprint: None,
                    rev: Some(sha),
                    format: Some(Format::Human),
                    output: None,
                    timeout,
                    allow_unverified: false,
                };
                let code = run_check_to(config, dir, &args, true)?;
                // A block is the news, even when another push could not be verified.
                worst = match (worst, code) {
                    (exit::BLOCKED, _) | (_, exit::BLOCKED) => exit::BLOCKED,
                    (a, b) => a.max(b),
                };
            }
            if worst != exit::PASS {
                eprintln!("preflight: push blocked (exit {worst}); fix the findings above, or push with --no-verify to bypass the hook");
            }
            Ok(worst)
        }
    }
}

fn run_snapshot(config: Option<&Path>, dir: &Path, args: &SnapshotArgs) -> Result<u8, ToolError> {
    let (cfg, schema) = load(config, dir)?;
    let env = cfg.environment(Some(&args.env))?;
    let opts = check::Options { offline: args.offline, expect_fingerprint: None, rev: None, timeout: args.timeout, against: None };
    let outcome = check::check(&cfg, env, &schema, &opts)?;
    crate::snapshot::run(&cfg, env, &schema, &outcome, args.offline, args.output.as_deref(), dir, args.allow_unverified)
}

/// Renders the report in the chosen format to stdout or `--output`.
fn emit(report: &Report, format: Option<Format>, output: Option<&Path>, dir: &Path) -> Result<(), ToolError> {
    let color = output.is_none() && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let text = match format {
        None if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") => {
            report::human::render(report, color) + &report::github::annotations(report)
        }
        None | Some(Format::Human) => report::human::render(report, color),
        Some(Format::Json) => report::json::render(report),
        Some(Format::Sarif) => report::sarif::render(report),
        Some(Format::Junit) => report::junit::render(report),
        Some(Format::Github) => report::github::render(report),
    };
    match output {
        Some(p) => {
            let p = if p.is_absolute() { p.to_path_buf() } else { dir.join(p) };
            std::fs::write(&p, text).map_err(|e| ToolError::new(format!("cannot write {}: {e}", p.display())))?;
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
