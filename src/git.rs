//! The git facts a check needs: which commit is being deployed, and the object ids of an
//! artifact's source paths at a commit. Freshness never reads or hashes file contents: git
//! already names every file and folder by the hash of its content (a folder's tree id covers
//! everything under it), so the digest of an artifact's sources is a digest of a few ids.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use git2::{ObjectType, Oid, Repository, StatusOptions};
use sha2::{Digest, Sha256};

use crate::diag::ToolError;

/// The commit `rev` (default HEAD) of the repository containing `dir`; `None` outside a
/// repository or in one without commits, unless a `rev` was asked for, which must resolve.
pub fn commit(dir: &Path, rev: Option<&str>) -> Result<Option<String>, ToolError> {
    let repo = match Repository::discover(dir) {
        Ok(r) => r,
        // A deploy step often runs from a copy of the revision without .git: it can still
        // bind the fingerprint to the commit by naming it in full.
        Err(_) if rev.is_some_and(|r| r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit())) => {
            return Ok(rev.map(|r| r.to_ascii_lowercase()));
        }
        Err(e) if rev.is_some() => {
            return Err(ToolError::new(format!("--rev needs a git repository, and {} is not in one: {}", dir.display(), e.message())));
        }
        Err(_) => return Ok(None),
    };
    let spec = rev.unwrap_or("HEAD");
    match repo.revparse_single(spec).and_then(|o| o.peel_to_commit()) {
        Ok(c) => Ok(Some(c.id().to_string())),
        Err(e) if rev.is_some() => Err(ToolError::new(format!("--rev {spec} does not name a commit: {}", e.message()))),
        Err(_) => Ok(None),
    }
}

/// A repository seen from the directory holding preflight.toml (which may be below its root).
pub struct Repo {
    repo: Repository,
    /// The config directory relative to the work tree root, with `/` separators ("" at the root).
    prefix: String,
}

/// One declared path at one commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathState {
    /// Repository-relative path (with the submodule part for paths inside one).
    pub path: String,
    pub id: PathId,
}

/// What a declared path is at a commit. Its text form ([`fmt::Display`]) is what the source
/// digest hashes, so it must never change: provenance files recorded by earlier builds hold
/// digests of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathId {
    /// A blob, tree or submodule commit in the commit's tree: `mode:oid`.
    Entry {
        mode: i32,
        id: Oid,
    },
    /// The repository's root tree (the path `.`): `tree:oid`.
    Root(Oid),
    /// A path inside a submodule: its gitlink, then the path's state in the submodule's commit.
    InSubmodule {
        gitlink: Oid,
        inner: Box<PathId>,
    },
    /// Inside a submodule that is not checked out, or whose commit is not in its repository.
    SubmoduleNotCheckedOut(Oid),
    SubmoduleCommitUnavailable(Oid),
    /// Nothing at that path (or no match for a glob).
    Missing,
}

impl fmt::Display for PathId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathId::Entry { mode, id } => write!(f, "{mode:o}:{id}"),
            PathId::Root(id) => write!(f, "tree:{id}"),
            PathId::InSubmodule { gitlink, inner } => write!(f, "{gitlink}/{inner}"),
            PathId::SubmoduleNotCheckedOut(id) => write!(f, "submodule-not-checked-out:{id}"),
            PathId::SubmoduleCommitUnavailable(id) => write!(f, "submodule-commit-unavailable:{id}"),
            PathId::Missing => f.write_str("missing"),
        }
    }
}

impl Repo {
    /// Opens the repository containing `config_root`. Works from linked worktrees, with a
    /// detached HEAD and in shallow clones; outside a repository it is a tool error.
    pub fn open(config_root: &Path) -> Result<Repo, ToolError> {
        let repo = Repository::discover(config_root).map_err(|e| {
            ToolError::new(format!("{} is not inside a git repository ({})", config_root.display(), e.message()))
                .with_help("artifact freshness compares git object ids: run preflight inside the repository the artifacts are built from")
        })?;
        let workdir = repo.workdir().ok_or_else(|| ToolError::new("the git repository is bare; artifact checks need a work tree"))?;
        let root = std::fs::canonicalize(config_root).unwrap_or_else(|_| config_root.to_path_buf());
        let work = std::fs::canonicalize(workdir).unwrap_or_else(|_| workdir.to_path_buf());
        let prefix = root.strip_prefix(&work).map(slash).unwrap_or_default();
        Ok(Repo { repo, prefix })
    }

    /// The commit `rev` (default HEAD) as a full id.
    pub fn resolve(&self, rev: Option<&str>) -> Result<Oid, ToolError> {
        let spec = rev.unwrap_or("HEAD");
        self.repo
            .revparse_single(spec)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id())
            .map_err(|e| ToolError::new(format!("`{spec}` does not name a commit in this repository: {}", e.message())))
    }

    pub fn has_commit(&self, id: &str) -> bool {
        Oid::from_str(id).ok().and_then(|o| self.repo.find_commit(o).ok()).is_some()
    }

    /// A path written in preflight.toml (relative to its directory) as a repository path.
    pub fn repo_path(&self, rel: &str) -> String {
        let joined = if self.prefix.is_empty() { PathBuf::from(rel) } else { Path::new(&self.prefix).join(rel) };
        let mut parts: Vec<String> = Vec::new();
        for c in joined.components() {
            match c {
                Component::ParentDir => {
                    parts.pop();
                }
                Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
                _ => {}
            }
        }
        parts.join("/")
    }

    /// The state of each declared path at `commit`. Globs (`*`, `?`, `[`) expand over the
    /// commit's tree; a path inside a submodule is looked up in the submodule's recorded commit.
    pub fn states(&self, commit: Oid, paths: &[String]) -> Result<Vec<PathState>, ToolError> {
        let tree = self.repo.find_commit(commit).and_then(|c| c.tree()).map_err(|e| ToolError::new(format!("cannot read commit {commit}: {}", e.message())))?;
        let mut out = Vec::new();
        for p in paths {
            let path = self.repo_path(p);
            if is_glob(&path) {
                let matcher = globset::Glob::new(&path).map_err(|e| ToolError::new(format!("artifact path `{p}` is not a valid glob: {e}")))?.compile_matcher();
                let mut found = Vec::new();
                let _ = tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                    let full = format!("{dir}{}", entry.name().unwrap_or(""));
                    if matcher.is_match(&full) {
                        found.push(PathState { path: full, id: PathId::Entry { mode: entry.filemode(), id: entry.id() } });
                        return git2::TreeWalkResult::Skip;
                    }
                    git2::TreeWalkResult::Ok
                });
                if found.is_empty() {
                    out.push(PathState { path, id: PathId::Missing });
                }
                out.extend(found);
            } else {
                out.push(PathState { id: self.lookup(&self.repo, &tree, &path, 0), path });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out.dedup();
        Ok(out)
    }

    fn lookup(&self, repo: &Repository, tree: &git2::Tree, path: &str, depth: u8) -> PathId {
        if path.is_empty() {
            return PathId::Root(tree.id());
        }
        if let Ok(e) = tree.get_path(Path::new(path)) {
            return PathId::Entry { mode: e.filemode(), id: e.id() };
        }
        // Inside a submodule? Find the gitlink on the way down and continue in its repository.
        let parts: Vec<&str> = path.split('/').collect();
        for i in 1..parts.len() {
            let head = parts[..i].join("/");
            let Ok(e) = tree.get_path(Path::new(&head)) else { break };
            if e.kind() != Some(ObjectType::Commit) || depth > 4 {
                continue;
            }
            let rest = parts[i..].join("/");
            let sub = repo.find_submodule(&head).ok().and_then(|s| s.open().ok());
            let Some(sub) = sub else {
                return PathId::SubmoduleNotCheckedOut(e.id());
            };
            return match sub.find_commit(e.id()).and_then(|c| c.tree()) {
                Ok(t) => PathId::InSubmodule { gitlink: e.id(), inner: Box::new(self.lookup(&sub, &t, &rest, depth + 1)) },
                Err(_) => PathId::SubmoduleCommitUnavailable(e.id()),
            };
        }
        PathId::Missing
    }

    /// Work tree changes under the paths: (modified or staged, untracked). Ignored files are
    /// not reported.
    ///
    /// Asked of the `git` command when there is one: it stats the work tree on several threads
    /// and uses the untracked cache and fsmonitor when the repository has them, which libgit2
    /// cannot, so this is as fast as `git status` (docs/performance.md). Without `git`, or when it
    /// refuses (a repository owned by another user, `safe.directory`), libgit2 answers.
    pub fn worktree(&self, paths: &[String]) -> Result<(Vec<String>, Vec<String>), ToolError> {
        match self.worktree_cli(paths) {
            Some(answer) => Ok(answer),
            None => self.worktree_libgit2(paths),
        }
    }

    /// `git status --porcelain -z` over the paths (literal paths as `:(literal)`), with no
    /// optional locks so a concurrent git command is never blocked. `None` when `git` is
    /// missing or fails.
    pub fn worktree_cli(&self, paths: &[String]) -> Option<(Vec<String>, Vec<String>)> {
        let root = self.repo.workdir()?;
        let mut cmd = std::process::Command::new("git");
        cmd.arg("-C").arg(root).args(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignore-submodules=none", "--"]);
        for p in paths {
            let path = self.repo_path(p);
            cmd.arg(if path.is_empty() {
                ":/".to_string()
            } else if is_glob(&path) {
                format!(":(glob){path}")
            } else {
                format!(":(literal){path}")
            });
        }
        cmd.env("GIT_OPTIONAL_LOCKS", "0").env_remove("GIT_DIR").env_remove("GIT_WORK_TREE").env_remove("GIT_INDEX_FILE");
        cmd.stdin(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        let out = cmd.output().ok().filter(|o| o.status.success())?;
        let (mut dirty, mut untracked) = (Vec::new(), Vec::new());
        let mut records = out.stdout.split(|b| *b == 0).filter(|r| !r.is_empty());
        while let Some(r) = records.next() {
            if r.len() < 4 {
                return None;
            }
            let (code, path) = (&r[..2], String::from_utf8_lossy(&r[3..]).into_owned());
            // A rename or copy is followed by its source path.
            if code.contains(&b'R') || code.contains(&b'C') {
                records.next();
            }
            match code {
                b"??" => untracked.push(path),
                b"!!" => {}
                _ => dirty.push(path),
            }
        }
        Some((dirty, untracked))
    }

    /// The same through libgit2. Literal paths are given as a path list
    /// (`disable_pathspec_match`): it then visits only those paths and the folders on the way
    /// to them. As patterns, paths with no common prefix (`tools/launcher` and `go.mod`) would
    /// make it walk, stat and read the ignore rules of the whole work tree and open every tree
    /// of HEAD before filtering. Globs keep pattern matching, in a call of their own.
    pub fn worktree_libgit2(&self, paths: &[String]) -> Result<(Vec<String>, Vec<String>), ToolError> {
        let repo_paths: Vec<String> = paths.iter().map(|p| self.repo_path(p)).collect();
        let (globs, literal): (Vec<String>, Vec<String>) = repo_paths.into_iter().partition(|p| is_glob(p));
        let (mut dirty, mut untracked) = (Vec::new(), Vec::new());
        let mut seen = std::collections::HashSet::new();
        for (set, literal) in [(literal, true), (globs, false)] {
            if set.is_empty() {
                continue;
            }
            let mut opts = StatusOptions::new();
            opts.include_untracked(true).recurse_untracked_dirs(true).include_ignored(false).exclude_submodules(false);
            // The whole tree (`.`) is no narrower as a path list; pattern matching handles it.
            let whole = set.iter().any(|p| p.is_empty());
            opts.disable_pathspec_match(literal && !whole);
            for p in &set {
                opts.pathspec(if p.is_empty() { "." } else { p.as_str() });
            }
            let statuses = self.repo.statuses(Some(&mut opts)).map_err(|e| ToolError::new(format!("cannot read git status: {}", e.message())))?;
            for s in statuses.iter() {
                let path = s.path().unwrap_or("?").to_string();
                let st = s.status();
                let list = if st.is_wt_new() {
                    &mut untracked
                } else if !st.is_ignored() && !st.is_empty() {
                    &mut dirty
                } else {
                    continue;
                };
                if seen.insert(path.clone()) {
                    list.push(path);
                }
            }
        }
        Ok((dirty, untracked))
    }

    /// The files that changed under `paths` from commit `old` to commit `new`, as git's diff
    /// of the two trees sees them (renames detected): `modified tools/launcher/main.go`,
    /// `added ...`, `deleted ...`, `renamed a -> b`. Reads no file contents beyond what rename
    /// detection compares.
    pub fn changed_files(&self, old: Oid, new: Oid, paths: &[String]) -> Result<Vec<String>, ToolError> {
        let err = |e: git2::Error| ToolError::new(format!("cannot diff {old} and {new}: {}", e.message()));
        let tree = |id: Oid| self.repo.find_commit(id).and_then(|c| c.tree());
        let (before, after) = (tree(old).map_err(err)?, tree(new).map_err(err)?);
        let mut opts = git2::DiffOptions::new();
        for p in paths {
            let path = self.repo_path(p);
            opts.pathspec(if path.is_empty() { ".".to_string() } else { path });
        }
        let mut diff = self.repo.diff_tree_to_tree(Some(&before), Some(&after), Some(&mut opts)).map_err(err)?;
        diff.find_similar(Some(git2::DiffFindOptions::new().renames(true))).map_err(err)?;
        let path = |f: git2::DiffFile| f.path().map(|p| p.to_string_lossy().replace('\\', "/")).unwrap_or_default();
        let mut out = Vec::new();
        for d in diff.deltas() {
            let line = match d.status() {
                git2::Delta::Added => format!("added {}", path(d.new_file())),
                git2::Delta::Deleted => format!("deleted {}", path(d.old_file())),
                git2::Delta::Modified => format!("modified {}", path(d.new_file())),
                git2::Delta::Renamed => format!("renamed {} -> {}", path(d.old_file()), path(d.new_file())),
                git2::Delta::Copied => format!("copied {} -> {}", path(d.old_file()), path(d.new_file())),
                git2::Delta::Typechange => format!("type changed {}", path(d.new_file())),
                _ => continue,
            };
            out.push(line);
        }
        Ok(out)
    }

    /// Commits after `since` up to `to` that changed any of `paths` (newest first, at most
    /// `limit`), as `short-id summary`.
    pub fn commits_touching(&self, since: Option<Oid>, to: Oid, paths: &[String], limit: usize) -> Vec<String> {
        let Ok(mut walk) = self.repo.revwalk() else { return Vec::new() };
        if walk.push(to).is_err() {
            return Vec::new();
        }
        if let Some(s) = since {
            let _ = walk.hide(s);
        }
        let _ = walk.simplify_first_parent();
        let mut out = Vec::new();
        for id in walk.flatten().take(2000) {
            let Ok(c) = self.repo.find_commit(id) else { continue };
            let Ok(now) = self.states(id, paths) else { continue };
            let before = c.parent_id(0).ok().and_then(|p| self.states(p, paths).ok());
            if before.as_ref() != Some(&now) {
                let short = short_id(&id.to_string()).to_string();
                out.push(format!("{short} {}", c.summary().ok().flatten().unwrap_or("").trim()));
                if out.len() >= limit {
                    break;
                }
            }
        }
        out
    }
}

/// A tool error when a declared path (or glob) matches nothing at the commit: a typo in
/// `paths` would make the artifact depend on nothing, and its freshness check pass forever.
pub fn require_paths(cfg: &crate::config::Config, artifact: &crate::config::Artifact, states: &[PathState], commit: Oid) -> Result<(), ToolError> {
    let missing: Vec<&str> = states.iter().filter(|s| s.id == PathId::Missing).map(|s| s.path.as_str()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let commit = commit.to_string();
    let short = short_id(&commit);
    Err(cfg
        .error_at(
            artifact.paths.span(),
            format!(
                "artifact `{}`: {} match{} nothing in commit {short}",
                artifact.name.get_ref(),
                missing.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", "),
                if missing.len() == 1 { "es" } else { "" }
            ),
            "declared here",
        )
        .with_help(
            "fix the path (relative to the directory of preflight.toml), or commit what it names: freshness over a path that does not exist checks nothing",
        ))
}

/// The digest of a set of path states: what `stamp` records and `check` recomputes.
pub fn source_digest(states: &[PathState]) -> String {
    let mut h = Sha256::new();
    h.update(b"preflight-source/1\n");
    for s in states {
        h.update(s.path.as_bytes());
        h.update(b"\0");
        h.update(s.id.to_string().as_bytes());
        h.update(b"\n");
    }
    format!("sha256:{:x}", h.finalize())
}

fn is_glob(p: &str) -> bool {
    p.contains(['*', '?', '['])
}

fn slash(p: &Path) -> String {
    p.components().filter_map(|c| if let Component::Normal(s) = c { Some(s.to_string_lossy().into_owned()) } else { None }).collect::<Vec<_>>().join("/")
}

/// A commit id as messages show it: its first 12 hex digits (as `git log --abbrev=12`), one
/// length everywhere.
pub fn short_id(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// A source digest (`sha256:` and 64 hex digits) as messages show it: the algorithm and 12 digits.
pub fn short_digest(digest: &str) -> &str {
    digest.get(..19).unwrap_or(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text each state hashes as is the one provenance files recorded before the states
    /// were typed: a digest stamped by an earlier build still compares equal.
    #[test]
    fn path_states_hash_as_their_recorded_text() {
        let id = Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap();
        let cases = [
            (PathId::Entry { mode: 0o100644, id }, format!("100644:{id}")),
            (PathId::Entry { mode: 0o40000, id }, format!("40000:{id}")),
            (PathId::Root(id), format!("tree:{id}")),
            (PathId::InSubmodule { gitlink: id, inner: Box::new(PathId::Entry { mode: 0o100755, id }) }, format!("{id}/100755:{id}")),
            (PathId::SubmoduleNotCheckedOut(id), format!("submodule-not-checked-out:{id}")),
            (PathId::SubmoduleCommitUnavailable(id), format!("submodule-commit-unavailable:{id}")),
            (PathId::Missing, "missing".to_string()),
        ];
        for (state, text) in cases {
            assert_eq!(state.to_string(), text);
            let mut h = Sha256::new();
            h.update(b"preflight-source/1\n");
            h.update(b"tools\0");
            h.update(text.as_bytes());
            h.update(b"\n");
            assert_eq!(source_digest(&[PathState { path: "tools".into(), id: state }]), format!("sha256:{:x}", h.finalize()));
        }
    }
}
