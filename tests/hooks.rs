//! The pre-push hook, driven by real `git push` to a local bare repository.

mod support;

use std::path::Path;
use std::process::Command;

use support::{preflight, run};

const CONFIG: &str = r#"schema = "env.schema.json"

[environments.production]
region = "us-east-1"
source = { dotenv = "prod.env" }

[hook]
refs = ["refs/heads/release/*", "refs/tags/v*"]
"#;

const SCHEMA: &str = r#"{"type": "object", "required": ["PORT"], "properties": {"PORT": {"type": "integer"}}}"#;

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn ok(out: std::process::Output) -> std::process::Output {
    assert!(out.status.success(), "git failed:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    out
}

/// A work repository with a broken env file and a bare remote.
fn setup() -> (tempfile::TempDir, tempfile::TempDir) {
    let remote = tempfile::tempdir().unwrap();
    ok(git(remote.path(), &["init", "-q", "--bare"]));
    let work = support::repo(&[("preflight.toml", CONFIG), ("env.schema.json", SCHEMA), ("prod.env", "PORT=eighty\n")]);
    ok(git(work.path(), &["init", "-q"]));
    ok(git(work.path(), &["add", "-A"]));
    ok(git(work.path(), &["commit", "-qm", "broken env"]));
    ok(git(work.path(), &["remote", "add", "origin", remote.path().to_str().unwrap()]));
    (work, remote)
}

fn hook(dir: &Path, args: &[&str]) -> support::Run {
    let mut c = preflight(dir);
    c.arg("hook").args(args);
    run(c)
}

#[test]
fn pushes_to_deploy_refs_are_checked_and_others_are_not() {
    let (work, _remote) = setup();
    let r = hook(work.path(), &["install"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(work.path().join(".git/hooks/pre-push").exists());

    ok(git(work.path(), &["push", "-q", "origin", "HEAD:refs/heads/feature"]));
    let blocked = git(work.path(), &["push", "-q", "origin", "HEAD:refs/heads/release/1.0"]);
    let stderr = String::from_utf8_lossy(&blocked.stderr);
    assert!(!blocked.status.success(), "the release push must be blocked:\n{stderr}");
    assert!(stderr.contains("env-type") && stderr.contains("PORT"), "{stderr}");
    let tag = git(work.path(), &["push", "-q", "origin", "HEAD:refs/tags/v1.0.0"]);
    assert!(!tag.status.success());

    std::fs::write(work.path().join("prod.env"), "PORT=8080\n").unwrap();
    ok(git(work.path(), &["commit", "-qam", "fix env"]));
    ok(git(work.path(), &["push", "-q", "origin", "HEAD:refs/heads/release/1.0"]));
}

#[test]
fn core_hooks_path_is_honoured() {
    let (work, _remote) = setup();
    ok(git(work.path(), &["config", "core.hooksPath", ".githooks"]));
    assert_eq!(hook(work.path(), &["install"]).code, 0);
    assert!(work.path().join(".githooks/pre-push").exists());
    assert!(!work.path().join(".git/hooks/pre-push").exists());
    let blocked = git(work.path(), &["push", "-q", "origin", "HEAD:refs/heads/release/2"]);
    assert!(!blocked.status.success());
}

#[test]
fn an_existing_hook_is_chained_never_clobbered_and_restored_on_uninstall() {
    let (work, _remote) = setup();
    let hooks = work.path().join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let mine = "#!/bin/sh\necho ran >> \"$(git rev-parse --git-dir)/chained-ran\"\nexit 0\n";
    std::fs::write(hooks.join("pre-push"), mine).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(hooks.join("pre-push"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let r = hook(work.path(), &["install"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("kept your existing pre-push hook"), "{}", r.stdout);
    // Idempotent: installing again does not chain our own hook to itself.
    let r = hook(work.path(), &["install"]);
    assert!(r.stdout.contains("updated"), "{}", r.stdout);
    assert_eq!(std::fs::read_to_string(hooks.join("pre-push.preflight-chained")).unwrap(), mine);

    ok(git(work.path(), &["push", "-q", "origin", "HEAD:refs/heads/feature"]));
    assert_eq!(std::fs::read_to_string(work.path().join(".git/chained-ran")).unwrap(), "ran\n", "the chained hook ran once");
    assert!(!git(work.path(), &["push", "-q", "origin", "HEAD:refs/heads/release/3"]).status.success());

    let r = hook(work.path(), &["uninstall"]);
    assert!(r.stdout.contains("restored"), "{}", r.stdout);
    assert_eq!(std::fs::read_to_string(hooks.join("pre-push")).unwrap(), mine);
    assert!(!hooks.join("pre-push.preflight-chained").exists());
    // With our hook gone, the release push goes through.
    ok(git(work.path(), &["push", "-q", "origin", "HEAD:refs/heads/release/3"]));
}

#[test]
fn a_failing_chained_hook_still_blocks() {
    let (work, _remote) = setup();
    std::fs::write(work.path().join("prod.env"), "PORT=1\n").unwrap();
    ok(git(work.path(), &["commit", "-qam", "ok env"]));
    let hooks = work.path().join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(hooks.join("pre-push"), "#!/bin/sh\nexit 7\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(hooks.join("pre-push"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    assert_eq!(hook(work.path(), &["install"]).code, 0);
    assert!(!git(work.path(), &["push", "-q", "origin", "HEAD:refs/heads/feature"]).status.success());
}

#[test]
fn install_outside_a_repository_is_a_tool_error() {
    let dir = support::repo(&[("preflight.toml", CONFIG), ("env.schema.json", SCHEMA), ("prod.env", "PORT=1\n")]);
    assert_eq!(hook(dir.path(), &["install"]).code, 2);
    assert_eq!(hook(dir.path(), &["install", "--env", "nope"]).code, 2);
}
