//! Command-line definitions (SPEC section 2) and dispatch. Every flag can also come from a
//! `PREFLIGHT_*` environment variable through clap's `env` support, which gives the same
//! precedence users know from other tools: flag, then variable, then default.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::diag::ToolError;
use crate::report::{Format, Verdict};
use crate::{commands, config};

#[derive(Debug, Parser)]
#[command(name = "preflight", version = VERSION, about = "Blocks a rollout when the environment about to be deployed is not the one tested, or names cloud resources that do not exist.")]
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
    Completions { shell: clap_complete::Shell },
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
    // A gate that waits longer than an hour for the cloud is hung, and an absurd value would
    // overflow the deadline arithmetic.
    if d > MAX_TIMEOUT {
        return Err(format!("{} is longer than the limit of 1h; a pre-deploy gate should answer in minutes", humantime::format_duration(d)));
    }
    Ok(d)
}

/// `preflight --version`: the version and the commit it was built from.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("PREFLIGHT_GIT_COMMIT"), ")");

/// The longest `--timeout` accepted.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// Exit codes of SPEC section 2.
pub mod exit {
    pub const PASS: u8 = 0;
    pub const BLOCKED: u8 = 1;
    pub const TOOL: u8 = 2;
    pub const UNVERIFIED: u8 = 3;
}

/// The exit code of a command's verdict (SPEC section 2): only this layer knows them.
fn code(verdict: Verdict, allow_unverified: bool) -> u8 {
    match verdict {
        Verdict::Pass => exit::PASS,
        Verdict::Blocked => exit::BLOCKED,
        Verdict::Unverified if allow_unverified => exit::PASS,
        Verdict::Unverified => exit::UNVERIFIED,
    }
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
    let config = cli.config.as_deref();
    let verdict = match cli.command {
        Command::Check(args) => {
            let req = commands::check::Request {
                env: args.env,
                offline: args.offline,
                against: args.against,
                expect_fingerprint: args.expect_fingerprint,
                rev: args.rev,
                format: args.format,
                output: args.output,
                timeout: args.timeout,
            };
            return Ok(code(commands::check::run(config, &dir, &req, commands::check::Output::Stdout)?, args.allow_unverified));
        }
        Command::Snapshot(args) => {
            commands::snapshot::command(config, &dir, &args.env, args.offline, args.timeout, args.output.as_deref(), args.allow_unverified)?
        }
        Command::Hook { action: HookAction::Uninstall } => commands::hook::uninstall(&dir)?,
        Command::Hook { action: HookAction::Install { env } } => {
            let cfg = config::load(&config::locate(config, &dir)?)?;
            commands::hook::install(&cfg, env.as_deref(), &dir)?
        }
        Command::Hook { action: HookAction::PrePush { env, offline, timeout, .. } } => commands::hook::pre_push(config, &dir, env, offline, timeout)?,
        Command::Stamp(args) => {
            let cfg = config::load(&config::locate(config, &dir)?)?;
            commands::stamp::run(&cfg, &args.artifact, args.output.as_deref(), args.print_digest, &dir)?
        }
        Command::Explain { rule } => commands::explain::run(rule.as_deref())?,
        Command::Init { from } => commands::init::run(&dir, from.as_deref())?,
        Command::Completions { shell } => commands::completions::run(shell, Cli::command()),
    };
    Ok(code(verdict, false))
}
