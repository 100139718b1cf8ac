//! `preflight stamp --artifact NAME`: run by the build, next to the artifact. Records the commit
//! and the digest of the artifact's declared source paths (from git's object ids), and whether
//! those paths had uncommitted changes.

use std::path::Path;

use crate::config::{Config, Provenance as Source};
use crate::diag::ToolError;
use crate::git::{self, Repo};
use crate::provenance::Provenance;
use crate::report::Verdict;

pub fn run(cfg: &Config, name: &str, output: Option<&Path>, print_digest: bool, dir: &Path) -> Result<Verdict, ToolError> {
    let artifact = cfg.artifacts.iter().find(|a| a.name.get_ref() == name).ok_or_else(|| {
        let known: Vec<&str> = cfg.artifacts.iter().map(|a| a.name.get_ref().as_str()).collect();
        ToolError::new(format!("no artifact named `{name}` in {}", cfg.path.display())).with_help(if known.is_empty() {
            "declare it in an [[artifacts]] table with `name`, `paths` and `provenance`".to_string()
        } else {
            format!("known artifacts: {}", known.join(", "))
        })
    })?;
    let repo = Repo::open(&cfg.root)?;
    let commit = repo.resolve(None)?;
    let paths = artifact.paths.get_ref();
    let states = repo.states(commit, paths)?;
    git::require_paths(cfg, artifact, &states, commit)?;
    let digest = git::source_digest(&states);
    if print_digest {
        println!("{digest}");
        return Ok(Verdict::Pass);
    }
    let (dirty, untracked) = repo.worktree(paths)?;
    let record = Provenance {
        preflight_provenance: 1,
        artifact: name.to_string(),
        commit: commit.to_string(),
        source_digest: digest.clone(),
        paths: paths.clone(),
        dirty: !dirty.is_empty() || !untracked.is_empty(),
        created_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
    };
    let target = match (output, artifact.provenance.as_ref().map(|p| p.get_ref())) {
        (Some(o), _) => {
            if o.is_absolute() {
                o.to_path_buf()
            } else {
                dir.join(o)
            }
        }
        (None, Some(Source::File(rel))) => cfg.input(rel, "provenance file")?,
        (None, Some(Source::Image(img))) => {
            return Err(ToolError::new(format!("artifact `{name}` takes its provenance from the `{}` tag of an image", img.tag))
                .with_help(format!("run `preflight stamp --artifact {name} --print-digest` in the image build and put the digest in that tag")));
        }
        (None, None) => {
            return Err(ToolError::new(format!("artifact `{name}` has no `provenance` path configured"))
                .with_help("add provenance = \"dist/NAME.provenance.json\" to its [[artifacts]] table, or pass --output"));
        }
    };
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| ToolError::new(format!("cannot create {}: {e}", parent.display())))?;
    }
    let text = serde_json::to_string_pretty(&record).map_err(|e| ToolError::new(e.to_string()))? + "\n";
    let inputs: Vec<std::path::PathBuf> = cfg
        .input_paths()
        .into_iter()
        .filter(|p| !cfg.artifacts.iter().any(|a| matches!(a.provenance.as_ref().map(|p| p.get_ref()), Some(Source::File(r)) if cfg.resolve(r) == *p)))
        .collect();
    crate::files::write_atomic(&target, text.as_bytes(), &inputs, "provenance file")?;
    println!("stamped {name}: {digest} at commit {} -> {}", crate::git::short_id(&record.commit), target.display());
    if record.dirty {
        eprintln!("warning: {name}'s paths have uncommitted or untracked changes; check will report artifact-dirty");
    }
    Ok(Verdict::Pass)
}
