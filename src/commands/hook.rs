//! `preflight hook install|uninstall` and the pre-push hook itself (`hook pre-push`, run by
//! git). The hook checks the commit being pushed, and only for pushes to the deploy refs of
//! `[hook] refs`: a feature branch push stays fast, a release push is gated.
//!
//! Install never clobbers a hook it did not write: an existing pre-push hook is kept beside
//! ours and run first (its exit status still counts); uninstall puts it back.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::diag::ToolError;
use crate::report::Verdict;

const MARKER: &str = "# preflight-managed-hook";
const CHAINED: &str = "pre-push.preflight-chained";

/// The hooks directory git uses for this repository: `core.hooksPath` when set (relative to
/// the work tree), else the common git dir's `hooks` (shared by linked worktrees).
fn hooks_dir(repo: &git2::Repository) -> Result<PathBuf, ToolError> {
    let configured = repo.config().ok().and_then(|c| c.get_path("core.hooksPath").ok());
    Ok(match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => repo.workdir().unwrap_or_else(|| repo.path()).join(p),
        None => repo.commondir().join("hooks"),
    })
}

fn open(dir: &Path) -> Result<git2::Repository, ToolError> {
    git2::Repository::discover(dir).map_err(|e| {
        ToolError::new(format!("{} is not inside a git repository ({})", dir.display(), e.message()))
            .with_help("run `preflight hook install` inside the repository whose pushes should be checked")
    })
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

pub fn install(cfg: &Config, env: Option<&str>, dir: &Path) -> Result<Verdict, ToolError> {
    if let Some(e) = env {
        cfg.environment(Some(e))?;
    }
    let repo = open(dir)?;
    let hooks = hooks_dir(&repo)?;
    std::fs::create_dir_all(&hooks).map_err(|e| ToolError::new(format!("cannot create {}: {e}", hooks.display())))?;
    let hook = hooks.join("pre-push");
    let chained = hooks.join(CHAINED);
    let existing = std::fs::read_to_string(&hook).ok();
    let mut said = Vec::new();
    match &existing {
        Some(text) if text.contains(MARKER) => said.push("updated the preflight pre-push hook".to_string()),
        Some(_) => {
            if chained.exists() {
                return Err(ToolError::new(format!("{} exists and so does {}: refusing to overwrite either", hook.display(), chained.display()))
                    .with_help("move one of them away, then install again"));
            }
            std::fs::rename(&hook, &chained).map_err(|e| ToolError::new(format!("cannot keep the existing hook: {e}")))?;
            said.push(format!("kept your existing pre-push hook as {CHAINED}; it runs first, and `preflight hook uninstall` restores it"));
        }
        None => said.push("installed the preflight pre-push hook".to_string()),
    }
    // The config is named relative to the work tree root, where git runs hooks.
    let work = repo.workdir().map(|w| std::fs::canonicalize(w).unwrap_or_else(|_| w.to_path_buf()));
    let config = std::fs::canonicalize(&cfg.path).unwrap_or_else(|_| cfg.path.clone());
    let config_arg = work.as_ref().and_then(|w| config.strip_prefix(w).ok()).map(|p| p.display().to_string()).unwrap_or_else(|| config.display().to_string());
    let exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "preflight".into());
    let env_arg = env.map(|e| format!(" --env {}", shell_quote(e))).unwrap_or_default();
    let script = format!(
        "#!/bin/sh\n{MARKER}: written by `preflight hook install`; `preflight hook uninstall` removes it.\n\
         # Checks the commits pushed to the deploy refs of [hook] refs in preflight.toml.\n\
         hookdir=$(dirname \"$0\")\n\
         input=$(cat)\n\
         if [ -x \"$hookdir/{CHAINED}\" ]; then\n\
         \tprintf '%s\\n' \"$input\" | \"$hookdir/{CHAINED}\" \"$@\" || exit $?\n\
         fi\n\
         preflight={exe}\n\
         [ -x \"$preflight\" ] || preflight=preflight\n\
         printf '%s\\n' \"$input\" | exec \"$preflight\" --config {config} hook pre-push{env_arg} \"$@\"\n",
        exe = shell_quote(&exe),
        config = shell_quote(&config_arg),
    );
    std::fs::write(&hook, script).map_err(|e| ToolError::new(format!("cannot write {}: {e}", hook.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755));
    }
    for s in said {
        println!("{s}: {}", hook.display());
    }
    if cfg.hook.refs.is_empty() {
        println!("note: [hook] refs is empty in {}, so no push is checked yet; e.g. refs = [\"refs/heads/release/*\", \"refs/tags/v*\"]", cfg.path.display());
    }
    Ok(Verdict::Pass)
}

pub fn uninstall(dir: &Path) -> Result<Verdict, ToolError> {
    let repo = open(dir)?;
    let hooks = hooks_dir(&repo)?;
    let hook = hooks.join("pre-push");
    let chained = hooks.join(CHAINED);
    match std::fs::read_to_string(&hook) {
        Ok(text) if text.contains(MARKER) => {
            std::fs::remove_file(&hook).map_err(|e| ToolError::new(format!("cannot remove {}: {e}", hook.display())))?;
            if chained.exists() {
                std::fs::rename(&chained, &hook).map_err(|e| ToolError::new(format!("cannot restore your hook: {e}")))?;
                println!("removed the preflight hook and restored your previous pre-push hook");
            } else {
                println!("removed the preflight pre-push hook");
            }
        }
        Ok(_) => println!("the pre-push hook in {} is not preflight's; left it alone", hooks.display()),
        Err(_) => println!("no pre-push hook is installed"),
    }
    Ok(Verdict::Pass)
}

/// Which pushed commits need a check: `(remote ref, local sha)` of each line of git's pre-push
/// input whose remote ref matches a deploy ref pattern. Deletions are skipped.
pub fn pushes_to_check(input: &str, patterns: &[String]) -> Result<Vec<(String, String)>, ToolError> {
    let mut set = globset::GlobSetBuilder::new();
    for p in patterns {
        set.add(
            globset::GlobBuilder::new(p)
                .literal_separator(true)
                .build()
                .map_err(|e| ToolError::new(format!("[hook] refs: `{p}` is not a valid pattern: {e}")))?,
        );
    }
    let set = set.build().map_err(|e| ToolError::new(e.to_string()))?;
    let mut out = Vec::new();
    for line in input.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [_local_ref, local_sha, remote_ref, _remote_sha] = parts[..] else { continue };
        if local_sha.bytes().all(|b| b == b'0') {
            continue;
        }
        if set.is_match(remote_ref) {
            out.push((remote_ref.to_string(), local_sha.to_string()));
        }
    }
    Ok(out)
}

/// Run by git as the pre-push hook: checks each pushed commit that goes to a deploy ref. A
/// block is the news, even when another push could not be verified.
pub fn pre_push(config: Option<&Path>, dir: &Path, env: Option<String>, offline: bool, timeout: std::time::Duration) -> Result<Verdict, ToolError> {
    let input = read_stdin();
    let (cfg, _) = super::check::load(config, dir)?;
    let pushes = pushes_to_check(&input, &cfg.hook.refs)?;
    let env = env.or_else(|| cfg.hook.env.clone());
    let mut worst = Verdict::Pass;
    for (remote_ref, sha) in pushes {
        eprintln!("preflight: checking {} for the push to {remote_ref}", &sha[..sha.len().min(12)]);
        let req = super::check::Request {
            env: env.clone(),
            offline,
            against: None,
            expect_fingerprint: None,
            rev: Some(sha),
            format: Some(crate::report::Format::Human),
            output: None,
            timeout,
        };
        let verdict = super::check::run(config, dir, &req, super::check::Output::Stderr)?;
        worst = match (worst, verdict) {
            (Verdict::Blocked, _) | (_, Verdict::Blocked) => Verdict::Blocked,
            (Verdict::Unverified, _) | (_, Verdict::Unverified) => Verdict::Unverified,
            _ => Verdict::Pass,
        };
    }
    if worst != Verdict::Pass {
        eprintln!("preflight: push blocked ({}); fix the findings above, or push with --no-verify to bypass the hook", worst.as_str());
    }
    Ok(worst)
}

/// Reads git's pre-push input from stdin (bounded) and returns it.
pub fn read_stdin() -> String {
    let mut s = String::new();
    let _ = std::io::stdin().take(1 << 20).read_to_string(&mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_deploy_refs_are_checked() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let input = format!(
            "refs/heads/release/1.4 {a} refs/heads/release/1.4 {z}\n\
             refs/heads/feature {a} refs/heads/feature {z}\n\
             (delete) {z} refs/heads/release/old {a}\n\
             refs/tags/v1.4.0 {a} refs/tags/v1.4.0 {z}\n\
             refs/heads/release/x/y {a} refs/heads/release/x/y {z}\n"
        );
        let got = pushes_to_check(&input, &["refs/heads/release/*".into(), "refs/tags/v*".into()]).unwrap();
        let refs: Vec<&str> = got.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(refs, ["refs/heads/release/1.4", "refs/tags/v1.4.0"]);
        assert!(pushes_to_check(&input, &["refs/heads/[".into()]).is_err());
    }
}
