//! The git facts a check needs: which commit is being deployed.

use std::path::Path;

use crate::diag::ToolError;

/// The commit `rev` (default HEAD) of the repository containing `dir`; `None` outside a
/// repository or in one without commits, unless a `rev` was asked for, which must resolve.
pub fn commit(dir: &Path, rev: Option<&str>) -> Result<Option<String>, ToolError> {
    let repo = match git2::Repository::discover(dir) {
        Ok(r) => r,
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
