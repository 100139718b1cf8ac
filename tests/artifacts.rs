//! Artifact freshness through the binary, on real temporary git repositories built with git2.

mod support;

use std::path::{Path, PathBuf};

use git2::{Repository, Signature};
use support::{commit_all, preflight, run};

const CONFIG: &str = r#"schema = "env.schema.json"

[environments.production]
region = "us-east-1"
source = { dotenv = "prod.env" }

[[artifacts]]
name = "launcher"
paths = ["tools/launcher", "go.mod", "go.sum"]
provenance = "dist/launcher.provenance.json"
"#;

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A repository with a launcher tool, its module files and an unrelated README.
fn project() -> (tempfile::TempDir, Repository) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let repo = Repository::init(root).unwrap();
    write(root, "preflight.toml", CONFIG);
    write(root, "env.schema.json", r#"{"type": "object"}"#);
    write(root, "prod.env", "A=1\n");
    write(root, ".gitignore", "dist/\n");
    write(root, "tools/launcher/main.go", "package main\n");
    write(root, "tools/launcher/scale.go", "package main\n// v1\n");
    write(root, "go.mod", "module shop\n");
    write(root, "go.sum", "");
    write(root, "README.md", "shop\n");
    commit_all(&repo, "initial");
    (dir, repo)
}

fn stamp(dir: &Path) {
    let mut c = preflight(dir);
    c.args(["stamp", "--artifact", "launcher"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

fn check(dir: &Path, args: &[&str]) -> support::Run {
    let mut c = preflight(dir);
    c.args(["check", "--offline", "--format", "json"]).args(args);
    run(c)
}

fn message(r: &support::Run, rule: &str) -> String {
    let j = r.json();
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .map(|f| f["message"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no {rule}: {}", r.stdout))
}

#[test]
fn stamp_writes_provenance_and_a_fresh_artifact_passes() {
    let (dir, repo) = project();
    stamp(dir.path());
    let p: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("dist/launcher.provenance.json")).unwrap()).unwrap();
    assert_eq!(p["preflight_provenance"], 1);
    assert_eq!(p["artifact"], "launcher");
    assert_eq!(p["commit"], repo.head().unwrap().target().unwrap().to_string());
    assert_eq!(p["dirty"], false);
    assert!(p["source_digest"].as_str().unwrap().starts_with("sha256:"));
    let r = check(dir.path(), &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.json()["checked"]["artifacts"], 1);
    // --print-digest is what the file recorded.
    let mut c = preflight(dir.path());
    c.args(["stamp", "--artifact", "launcher", "--print-digest"]);
    assert_eq!(run(c).stdout.trim(), p["source_digest"].as_str().unwrap());
}

#[test]
fn a_source_change_without_a_rebuild_is_stale_and_names_path_and_commit() {
    let (dir, repo) = project();
    stamp(dir.path());
    write(dir.path(), "tools/launcher/scale.go", "package main\n// v2: scale down to one per region\n");
    commit_all(&repo, "launcher: fix scale-in");
    let r = check(dir.path(), &[]);
    assert_eq!(r.code, 1);
    assert_eq!(r.rules(), ["artifact-stale"]);
    let m = message(&r, "artifact-stale");
    assert!(m.contains("tools/launcher"), "{m}");
    assert!(m.contains("launcher: fix scale-in"), "{m}");
    // The fingerprint moves with the artifact's sources.
    stamp(dir.path());
    assert_eq!(check(dir.path(), &[]).code, 0);
}

/// The stale finding names the files that changed, not the declared folder: added, modified,
/// deleted and renamed ones, at most 20, then how many more.
#[test]
fn a_stale_artifact_lists_the_files_that_changed_and_how() {
    let (dir, repo) = project();
    for i in 0..25 {
        write(dir.path(), &format!("tools/launcher/gen/f{i:02}.go"), &format!("package gen // {i}\n"));
    }
    commit_all(&repo, "generated code");
    stamp(dir.path());
    write(dir.path(), "tools/launcher/main.go", "package main\n// v2\n");
    write(dir.path(), "tools/launcher/new.go", "package main\n// new\n");
    std::fs::remove_file(dir.path().join("tools/launcher/gen/f24.go")).unwrap();
    std::fs::rename(dir.path().join("tools/launcher/scale.go"), dir.path().join("tools/launcher/autoscale.go")).unwrap();
    commit_all(&repo, "launcher: new VPC");
    let m = message(&check(dir.path(), &[]), "artifact-stale");
    let missing: Vec<&str> = [
        "modified tools/launcher/main.go",
        "added tools/launcher/new.go",
        "deleted tools/launcher/gen/f24.go",
        "renamed tools/launcher/scale.go -> tools/launcher/autoscale.go",
        "launcher: new VPC",
    ]
    .into_iter()
    .filter(|part| !m.contains(part))
    .collect();
    assert!(missing.is_empty(), "{missing:?} missing from: {m}");
    for i in 0..24 {
        write(dir.path(), &format!("tools/launcher/gen/f{i:02}.go"), &format!("package gen // {i} v2\n"));
    }
    commit_all(&repo, "regenerate");
    let m = message(&check(dir.path(), &[]), "artifact-stale");
    assert!(m.contains("and 8 more"), "28 changed files, 20 listed: {m}");
}

#[test]
fn a_change_in_only_one_of_several_paths_is_stale_and_unrelated_changes_are_not() {
    let (dir, repo) = project();
    stamp(dir.path());
    write(dir.path(), "README.md", "shop, now documented\n");
    commit_all(&repo, "docs");
    assert_eq!(check(dir.path(), &[]).code, 0, "README is not a source of the launcher");
    write(dir.path(), "go.sum", "example.com/x v1.0.0 h1:abc=\n");
    commit_all(&repo, "bump dependency");
    let r = check(dir.path(), &[]);
    assert_eq!(r.rules(), ["artifact-stale"]);
    assert!(message(&r, "artifact-stale").contains("go.sum"));
}

#[test]
fn a_rename_is_stale() {
    let (dir, repo) = project();
    stamp(dir.path());
    std::fs::rename(dir.path().join("tools/launcher/scale.go"), dir.path().join("tools/launcher/autoscale.go")).unwrap();
    commit_all(&repo, "rename");
    assert_eq!(check(dir.path(), &[]).rules(), ["artifact-stale"]);
}

#[test]
fn unstamped_dirty_and_untracked() {
    let (dir, _repo) = project();
    let r = check(dir.path(), &[]);
    assert_eq!(r.rules(), ["artifact-unstamped"]);
    let j = r.json();
    assert_eq!(j["findings"][0]["location"]["path"], "preflight.toml");
    assert_eq!(j["findings"][0]["location"]["line"], 8);

    stamp(dir.path());
    write(dir.path(), "go.mod", "module shop\ngo 1.22\n");
    // Uncommitted: the committed sources still match, but the work tree does not.
    assert_eq!(check(dir.path(), &[]).rules(), ["artifact-dirty"]);
    write(dir.path(), "tools/launcher/new_feature.go", "package main\n");
    let r = check(dir.path(), &[]);
    assert!(r.rules().contains(&"artifact-untracked".to_string()), "{}", r.stdout);
    assert!(message(&r, "artifact-untracked").contains("tools/launcher/new_feature.go"));
    // Ignored files are not reported.
    let (dir, _repo) = project();
    stamp(dir.path());
    write(dir.path(), "dist/launcher", "binary");
    assert_eq!(check(dir.path(), &[]).code, 0);
}

#[test]
fn a_corrupt_provenance_file_is_unstamped_not_a_crash() {
    let (dir, _repo) = project();
    write(dir.path(), "dist/launcher.provenance.json", "\u{0}\u{1}garbage{{{");
    let r = check(dir.path(), &[]);
    assert_eq!(r.code, 1);
    assert_eq!(r.rules(), ["artifact-unstamped"]);
}

#[test]
fn rev_selects_the_commit_being_deployed() {
    let (dir, repo) = project();
    stamp(dir.path());
    let stamped = repo.head().unwrap().target().unwrap().to_string();
    write(dir.path(), "tools/launcher/main.go", "package main\n// changed\n");
    commit_all(&repo, "change");
    assert_eq!(check(dir.path(), &[]).rules(), ["artifact-stale"]);
    assert_eq!(check(dir.path(), &["--rev", &stamped]).code, 0);
    assert_eq!(check(dir.path(), &["--rev", "HEAD~1"]).code, 0);
    let r = check(dir.path(), &["--rev", "no-such-rev"]);
    assert_eq!(r.code, 2);
    // Detached HEAD works the same.
    repo.set_head_detached(repo.revparse_single("HEAD~1").unwrap().id()).unwrap();
    repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force())).unwrap();
    assert_eq!(check(dir.path(), &[]).code, 0);
}

#[test]
fn a_submodule_bump_is_stale() {
    let lib = tempfile::tempdir().unwrap();
    let lib_repo = Repository::init(lib.path()).unwrap();
    write(lib.path(), "src/lib.go", "package lib\n");
    commit_all(&lib_repo, "lib v1");

    let (dir, repo) = project();
    let url = format!("file://{}", lib.path().display());
    let mut sm = repo.submodule(&url, Path::new("vendor/lib"), true).unwrap();
    sm.clone(None).unwrap();
    sm.add_finalize().unwrap();
    commit_all(&repo, "add lib");
    let cfg = CONFIG.replace(r#"paths = ["tools/launcher", "go.mod", "go.sum"]"#, r#"paths = ["tools/launcher", "vendor/lib/src"]"#);
    write(dir.path(), "preflight.toml", &cfg);
    commit_all(&repo, "launcher depends on lib");
    stamp(dir.path());
    assert_eq!(check(dir.path(), &[]).code, 0);

    // A new commit in the submodule, recorded in the superproject.
    let inner = sm.open().unwrap();
    write(&dir.path().join("vendor/lib"), "src/lib.go", "package lib\n// v2\n");
    commit_all(&inner, "lib v2");
    let mut sm = repo.find_submodule("vendor/lib").unwrap();
    sm.add_to_index(true).unwrap();
    let mut index = repo.index().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = Signature::now("test", "test@example.invalid").unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "bump lib", &tree, &[&head]).unwrap();
    let r = check(dir.path(), &[]);
    assert_eq!(r.rules(), ["artifact-stale"], "{}", r.stdout);
    assert!(message(&r, "artifact-stale").contains("bump lib"));
}

#[test]
fn a_config_below_the_repository_root_and_a_linked_worktree() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let app = dir.path().join("services/web");
    write(&app, "preflight.toml", &CONFIG.replace("tools/launcher", "../../tools/launcher"));
    write(&app, "env.schema.json", r#"{"type": "object"}"#);
    write(&app, "prod.env", "A=1\n");
    write(&app, "go.mod", "module web\n");
    write(&app, "go.sum", "");
    write(dir.path(), "tools/launcher/main.go", "package main\n");
    write(dir.path(), ".gitignore", "dist/\n");
    commit_all(&repo, "initial");
    stamp(&app);
    assert_eq!(check(&app, &[]).code, 0);
    write(dir.path(), "tools/launcher/main.go", "package main\n// v2\n");
    commit_all(&repo, "launcher v2");
    assert_eq!(check(&app, &[]).rules(), ["artifact-stale"]);

    // A linked worktree at the stamped commit sees its own HEAD.
    let wt_dir = tempfile::tempdir().unwrap();
    let wt_path: PathBuf = wt_dir.path().join("wt");
    let wt = repo.worktree("wt", &wt_path, None).unwrap();
    let wt_repo = Repository::open_from_worktree(&wt).unwrap();
    let first = repo.revparse_single("HEAD~1").unwrap().id();
    wt_repo.set_head_detached(first).unwrap();
    wt_repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force())).unwrap();
    let wt_app = wt_path.join("services/web");
    std::fs::create_dir_all(wt_app.join("dist")).unwrap();
    std::fs::copy(app.join("dist/launcher.provenance.json"), wt_app.join("dist/launcher.provenance.json")).unwrap();
    assert_eq!(check(&wt_app, &[]).code, 0);
}

#[test]
fn a_shallow_clone_still_catches_staleness() {
    let (dir, repo) = project();
    stamp(dir.path());
    write(dir.path(), "go.mod", "module shop\ngo 1.23\n");
    commit_all(&repo, "go 1.23");
    let clone = tempfile::tempdir().unwrap();
    let target = clone.path().join("c");
    let st = std::process::Command::new("git")
        .args(["clone", "--quiet", "--depth", "1", &format!("file://{}", dir.path().display()), target.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::create_dir_all(target.join("dist")).unwrap();
    std::fs::copy(dir.path().join("dist/launcher.provenance.json"), target.join("dist/launcher.provenance.json")).unwrap();
    let r = check(&target, &[]);
    assert_eq!(r.rules(), ["artifact-stale"]);
    assert!(message(&r, "artifact-stale").contains("not in this clone"), "{}", r.stdout);
}

#[test]
fn outside_a_git_repository_is_a_tool_error() {
    let dir = support::repo(&[("preflight.toml", CONFIG), ("env.schema.json", r#"{"type":"object"}"#), ("prod.env", "A=1\n")]);
    let r = check(dir.path(), &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("not inside a git repository"), "{}", r.stderr);
    let mut c = preflight(dir.path());
    c.args(["stamp", "--artifact", "launcher"]);
    assert_eq!(run(c).code, 2);
}

/// A path in `paths` that names nothing (a typo of `tools/launcher`) would make the artifact
/// depend on nothing, and its freshness check pass forever: stamp and check refuse it, located.
#[test]
fn a_path_that_matches_nothing_is_a_tool_error_at_its_line() {
    let (dir, repo) = project();
    write(dir.path(), "preflight.toml", &CONFIG.replace("\"tools/launcher\"", "\"tools/launchr\""));
    commit_all(&repo, "typo");
    let mut c = preflight(dir.path());
    c.args(["stamp", "--artifact", "launcher"]);
    let r = run(c);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("`tools/launchr` matches nothing"), "{}", r.stderr);
    assert!(r.stderr.contains("preflight.toml:9"), "located at the paths line: {}", r.stderr);
    assert!(!dir.path().join("dist/launcher.provenance.json").exists());
    let r = check(dir.path(), &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("tools/launchr"), "{}", r.stderr);
}

/// The work tree status comes from `git` when it is installed (as fast as `git status`) and from
/// libgit2 otherwise: both must report the same dirty and untracked files.
#[test]
fn git_and_libgit2_agree_on_the_work_tree() {
    let (dir, repo) = project();
    write(dir.path(), "tools/launcher/main.go", "package main\n// edited\n");
    write(dir.path(), "tools/launcher/new/untracked.go", "package new\n");
    write(dir.path(), "tools/launcher/staged.go", "package main\n");
    let mut index = repo.index().unwrap();
    index.add_path(Path::new("tools/launcher/staged.go")).unwrap();
    index.write().unwrap();
    write(dir.path(), "dist/ignored.bin", "x");
    write(dir.path(), "README.md", "outside the paths\n");
    write(dir.path(), "go.sum", "changed\n");
    let r = preflight::git::Repo::open(dir.path()).unwrap();
    let paths: Vec<String> = ["tools/launcher", "go.mod", "go.sum", "tools/*.md"].map(String::from).to_vec();
    let sorted = |(mut d, mut u): (Vec<String>, Vec<String>)| {
        d.sort();
        u.sort();
        (d, u)
    };
    let lib = sorted(r.worktree_libgit2(&paths).unwrap());
    assert_eq!(lib.0, ["go.sum", "tools/launcher/main.go", "tools/launcher/staged.go"], "{lib:?}");
    assert_eq!(lib.1, ["tools/launcher/new/untracked.go"], "{lib:?}");
    match r.worktree_cli(&paths) {
        Some(cli) => assert_eq!(sorted(cli), lib),
        None => assert!(std::process::Command::new("git").arg("--version").output().is_err(), "git is installed but its status could not be read"),
    }
}
