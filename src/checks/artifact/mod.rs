//! The artifact family: every build artifact must have been built from the sources being
//! deployed. `preflight stamp` records, at build time, a digest of git's object ids for the
//! artifact's declared paths; `check` recomputes it at the commit being deployed. A launcher
//! whose source changed while its artifact did not is `artifact-stale`.

pub mod rules;

use std::collections::BTreeMap;

use git2::Oid;

use crate::checks::Sink;
use crate::config::{Artifact, Config, Provenance as Source};
use crate::diag::ToolError;
use crate::git::{self, Repo};
use crate::provenance::{self, ReadError};
use crate::report::{Finding, Location, Unverified};
use rules::*;

/// Where an image-provenance artifact's tag is read: image id -> tags, from the live lookup.
pub type ImageTags = BTreeMap<String, BTreeMap<String, String>>;

/// What the artifact checks need from the rest of the run.
pub struct Inputs<'a> {
    pub cfg: &'a Config,
    pub repo: &'a Repo,
    /// The commit being deployed.
    pub commit: Oid,
    /// True when the deployed commit is the work tree's HEAD (so the work tree matters).
    pub at_head: bool,
    /// Resolved variable values, for `image_var`.
    pub values: &'a BTreeMap<String, String>,
    /// `None` when images were not looked up (offline).
    pub image_tags: Option<&'a ImageTags>,
    pub region: &'a str,
}

/// Judges every `[[artifacts]]` entry into `out`; answers (artifact, source digest at the
/// deployed commit) for the fingerprint and the lock.
pub fn check(inp: &Inputs, out: &mut Sink) -> Result<Vec<(String, String)>, ToolError> {
    let mut digests = Vec::new();
    for a in &inp.cfg.artifacts {
        digests.push(check_one(inp, a, out)?);
    }
    Ok(digests)
}

fn check_one(inp: &Inputs, a: &Artifact, out: &mut Sink) -> Result<(String, String), ToolError> {
    let name = a.name.get_ref();
    let paths = a.paths.get_ref();
    let at = location(inp.cfg, a);
    let states = inp.repo.states(inp.commit, paths)?;
    git::require_paths(inp.cfg, a, &states, inp.commit)?;
    let current = git::source_digest(&states);
    let finding = |rule, msg: String, help: String| Finding::new(rule, msg).key(name.clone()).help(help).at(Some(at.clone()));

    if inp.at_head {
        let (dirty, untracked) = inp.repo.worktree(paths)?;
        if !dirty.is_empty() {
            out.findings.push(finding(
                &ARTIFACT_DIRTY,
                format!("uncommitted changes under its paths: {}", list(&dirty)),
                "commit or discard them: what is deployed must be what is in the commit".into(),
            ));
        }
        if !untracked.is_empty() {
            out.findings.push(finding(
                &ARTIFACT_UNTRACKED,
                format!("files git does not track under its paths: {}", list(&untracked)),
                "git add them (or ignore them): a build that only sees tracked files, such as a Nix flake, leaves them out".into(),
            ));
        }
    }

    let digested = (name.clone(), current.clone());
    let Some(recorded) = recorded(inp, a, &finding, out)? else { return Ok(digested) };
    let (digest, stamped_commit, _) = recorded;
    if digest == current {
        return Ok(digested);
    }

    // Stale: say which paths changed since the stamp, and which commits changed them.
    let since = stamped_commit.as_deref().and_then(|c| Oid::from_str(c).ok()).filter(|o| inp.repo.has_commit(&o.to_string()));
    let mut detail = String::new();
    if let Some(old) = since {
        detail.push_str(&changes(inp.repo, old, inp.commit, paths));
    } else if let Some(c) = &stamped_commit {
        detail.push_str(&format!("; the stamped commit {} is not in this clone (shallow?), so the changes cannot be listed", crate::git::short_id(c)));
    }
    let built = stamped_commit.as_deref().map(|c| format!(" (built from {})", crate::git::short_id(c))).unwrap_or_default();
    out.findings.push(finding(
        &ARTIFACT_STALE,
        format!(
            "its sources changed since it was built{built}: recorded {}, now {}{detail}",
            crate::git::short_digest(&digest),
            crate::git::short_digest(&current)
        ),
        format!(
            "rebuild {name} from commit {} and stamp it again; a build system that skipped it may not track these paths",
            crate::git::short_id(&inp.commit.to_string())
        ),
    ));
    Ok(digested)
}

/// The source digest the artifact was recorded with, from its provenance file or from a tag of
/// the deployed image, with the commit it was stamped at; `None` (with a finding, or unverified)
/// when there is none to compare.
fn recorded(
    inp: &Inputs,
    a: &Artifact,
    finding: &dyn Fn(&'static crate::rules::Rule, String, String) -> Finding,
    out: &mut Sink,
) -> Result<Option<(String, Option<String>, bool)>, ToolError> {
    let name = a.name.get_ref();
    Ok(Some(match a.provenance.as_ref().map(|p| p.get_ref()) {
        None => {
            out.findings.push(finding(
                &ARTIFACT_UNSTAMPED,
                "no `provenance` is configured, so nothing says what it was built from".into(),
                format!("add provenance = \"dist/{name}.provenance.json\" and run `preflight stamp --artifact {name}` in the build"),
            ));
            return Ok(None);
        }
        Some(Source::File(rel)) => match provenance::read(&inp.cfg.input(rel, "provenance file")?) {
            Err(ReadError::Missing) => {
                out.findings.push(finding(
                    &ARTIFACT_UNSTAMPED,
                    format!("its provenance file {rel} does not exist"),
                    format!("run `preflight stamp --artifact {name}` in the build step that produces it"),
                ));
                return Ok(None);
            }
            Err(ReadError::Invalid(why)) => {
                out.findings.push(finding(
                    &ARTIFACT_UNSTAMPED,
                    format!("its provenance file {rel} cannot be used: {why}"),
                    format!("rebuild and run `preflight stamp --artifact {name}`"),
                ));
                return Ok(None);
            }
            Ok(p) => {
                if p.dirty {
                    out.findings.push(finding(
                        &ARTIFACT_DIRTY,
                        format!("it was built from a work tree with uncommitted changes (stamped at {})", crate::git::short_id(&p.commit)),
                        "rebuild from a clean checkout".into(),
                    ));
                }
                (p.source_digest, Some(p.commit), p.dirty)
            }
        },
        Some(Source::Image(img)) => {
            let Some(image_id) = inp.values.get(&img.image_var) else {
                out.findings.push(finding(
                    &ARTIFACT_UNSTAMPED,
                    format!("its image variable {} is not set", img.image_var),
                    "set the variable, or point `image_var` at the variable naming the image".into(),
                ));
                return Ok(None);
            };
            let Some(tags) = inp.image_tags else {
                out.unverified.push(Unverified {
                    check: format!("artifact {name} (tag {} of image {})", img.tag, img.image_var),
                    region: Some(inp.region.to_string()),
                    reason: "--offline or the image lookup failed: the image's tags were not read".into(),
                });
                return Ok(None);
            };
            let Some(image_tags) = tags.get(image_id) else {
                // The image itself is missing: ami-not-found already blocks; nothing to compare.
                return Ok(None);
            };
            match image_tags.get(&img.tag) {
                Some(d) => (d.clone(), None, false),
                None => {
                    out.findings.push(finding(
                        &ARTIFACT_UNSTAMPED,
                        format!("image {image_id} has no `{}` tag, so nothing says what it was baked from", img.tag),
                        format!("tag the image in the image build with the output of `preflight stamp --artifact {name} --print-digest`"),
                    ));
                    return Ok(None);
                }
            }
        }
    }))
}

/// What changed under an artifact's paths between two commits, for a message: the files (at most
/// 20, then "and N more") and the commits that changed them.
pub fn changes(repo: &Repo, old: Oid, new: Oid, paths: &[String]) -> String {
    let mut detail = String::new();
    match repo.changed_files(old, new, paths) {
        Ok(files) if !files.is_empty() => detail.push_str(&format!("; changed since: {}", list_n(&files, 20))),
        _ => {}
    }
    let commits = repo.commits_touching(Some(old), new, paths, 5);
    if !commits.is_empty() {
        detail.push_str(&format!("; by {}", commits.join(", ")));
    }
    detail
}

/// Where an artifact is declared in preflight.toml.
pub fn location(cfg: &Config, a: &Artifact) -> Location {
    cfg.location(a.name.span())
}

fn list(items: &[String]) -> String {
    list_n(items, 8)
}

fn list_n(items: &[String], max: usize) -> String {
    let mut s = items.iter().take(max).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > max {
        s.push_str(&format!(" and {} more", items.len() - max));
    }
    s
}
