//! Every file preflight reads for an environment, and every file it writes, goes through here
//! (SPEC section 5):
//! - reads named by preflight.toml (env files, the schema and its `$ref`s, locks, provenance)
//!   stay inside the repository: a pull request that edits preflight.toml cannot make the report
//!   print `/proc/self/environ` or `../../etc/passwd`;
//! - a path that is not a regular file (a directory, a named pipe, a device, a socket, a symlink
//!   loop) is refused before it is opened, so a pipe can never hang the run;
//! - writes never replace an input, never follow a symlink, and are atomic (a temporary file in
//!   the same folder, then a rename), so a concurrent reader sees the old file or the new one.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::diag::ToolError;

/// What a path that is not a regular file is, for the message that refuses it.
fn kind_of(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("a directory")
    } else if t.is_fifo() {
        Some("a named pipe")
    } else if t.is_socket() {
        Some("a socket")
    } else if t.is_char_device() || t.is_block_device() {
        Some("a device")
    } else {
        Some("not a regular file")
    }
}

/// Refuses a path that exists and is not a regular file (following symlinks). A missing path
/// passes: the read that follows says it does not exist.
pub fn require_regular(path: &Path, what: &str) -> Result<(), ToolError> {
    match std::fs::metadata(path) {
        Ok(meta) => match kind_of(&meta) {
            None => Ok(()),
            Some(kind) => Err(ToolError::new(format!("{what} {} is {kind}, not a regular file", path.display()))
                .with_help("point it at a regular file; preflight never reads pipes, devices or directories")),
        },
        Err(e) if e.raw_os_error() == Some(40) => Err(ToolError::new(format!("{what} {} is a symlink loop", path.display()))),
        Err(_) => Ok(()),
    }
}

/// Lexically normalises a path (no filesystem access): `a/./b/../c` is `a/c`. `None` when `..`
/// climbs above the start.
fn normalise(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            other => out.push(other),
        }
    }
    Some(out)
}

/// The path of `rel` (as written in preflight.toml) under `root`, when it stays inside `root`
/// once symlinks are followed. Absolute paths, `..` that leaves the root and symlinks pointing
/// out are tool errors naming the path; so is anything that is not a regular file.
pub fn confine(root: &Path, rel: &str, what: &str) -> Result<PathBuf, ToolError> {
    let outside = |why: &str| {
        ToolError::new(format!("{what} `{rel}` {why}")).with_help(
            "files named in preflight.toml must lie inside the repository holding it (SPEC section 5): write a path relative to preflight.toml's folder",
        )
    };
    let p = Path::new(rel);
    if p.is_absolute() {
        return Err(outside("is an absolute path, outside the repository"));
    }
    let root_real = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let Some(lexical) = normalise(&root_real.join(p)) else {
        return Err(outside("leaves the repository"));
    };
    if !lexical.starts_with(&root_real) {
        return Err(outside("leaves the repository"));
    }
    match std::fs::canonicalize(&lexical) {
        Ok(real) => {
            if !real.starts_with(&root_real) {
                return Err(outside(&format!("resolves to {}, outside the repository", real.display())));
            }
            require_regular(&real, what)?;
            Ok(real)
        }
        Err(e) if e.raw_os_error() == Some(40) => Err(outside("is a symlink loop")),
        // Missing: the caller's read names it. A dangling symlink that points out is refused.
        Err(_) => match std::fs::read_link(&lexical) {
            Ok(target)
                if target.is_absolute() || normalise(&lexical.parent().unwrap_or(&root_real).join(&target)).is_none_or(|t| !t.starts_with(&root_real)) =>
            {
                Err(outside("is a symlink pointing outside the repository"))
            }
            _ => Ok(lexical),
        },
    }
}

/// The path of an output preflight.toml names (a lock), inside the repository by its text
/// alone: symlinks are not followed, so [`write_atomic`] sees and refuses one.
pub fn confine_output(root: &Path, rel: &str, what: &str) -> Result<PathBuf, ToolError> {
    let p = Path::new(rel);
    let root_real = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    match normalise(&root_real.join(p)) {
        Some(path) if !p.is_absolute() && path.starts_with(&root_real) => Ok(path),
        _ => Err(ToolError::new(format!("{what} `{rel}` leaves the repository"))
            .with_help("files named in preflight.toml must lie inside the repository holding it (SPEC section 5)")),
    }
}

/// The path a write would create or replace, with its folder's symlinks resolved, for
/// comparing with inputs.
fn real_target(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::canonicalize(parent).map(|p| p.join(&name)).unwrap_or_else(|_| path.to_path_buf())
}

/// Writes `bytes` to `path` atomically. Refuses (and writes nothing) when the path is one of
/// `inputs`, is a symlink, or is not a regular file. `what` names the file in messages.
pub fn write_atomic(path: &Path, bytes: &[u8], inputs: &[PathBuf], what: &str) -> Result<(), ToolError> {
    let target = real_target(path);
    for input in inputs {
        let input_real = std::fs::canonicalize(input).unwrap_or_else(|_| input.clone());
        if input_real == target {
            return Err(ToolError::new(format!("{what} {} is one of preflight's inputs ({}); refusing to overwrite it", path.display(), input.display()))
                .with_help("write the output to another path"));
        }
    }
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_symlink() {
            return Err(ToolError::new(format!("{what} {} is a symlink; refusing to write through it", path.display()))
                .with_help("remove the symlink or write to another path"));
        }
        if let Some(kind) = kind_of(&meta) {
            return Err(ToolError::new(format!("{what} {} is {kind}, not a regular file", path.display())));
        }
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let mut nonce = [0u8; 6];
    let _ = getrandom::fill(&mut nonce);
    let tmp = dir.join(format!(".{name}.{}.{:02x?}.tmp", std::process::id(), nonce).replace([' ', ',', '[', ']'], ""));
    let fail = |e: std::io::Error| ToolError::new(format!("cannot write {what} {}: {e}", path.display()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confinement() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("deploy")).unwrap();
        std::fs::write(root.join("deploy/a.env"), "A=1\n").unwrap();
        assert!(confine(root, "deploy/a.env", "env file").is_ok());
        assert!(confine(root, "deploy/../deploy/a.env", "env file").is_ok());
        assert!(confine(root, "deploy/missing.env", "env file").is_ok());
        for bad in ["/etc/passwd", "/proc/self/environ", "../../../etc/passwd", "deploy/../../x"] {
            let e = confine(root, bad, "env file").unwrap_err();
            assert!(e.message().contains(bad), "{}", e.message());
        }
        std::os::unix::fs::symlink("/etc/hostname", root.join("out.env")).unwrap();
        assert!(confine(root, "out.env", "env file").unwrap_err().message().contains("outside"));
        std::os::unix::fs::symlink(root.join("deploy/a.env"), root.join("in.env")).unwrap();
        assert!(confine(root, "in.env", "env file").is_ok());
        assert!(confine(root, "deploy", "env file").unwrap_err().message().contains("a directory"));
        std::os::unix::fs::symlink(root.join("loop"), root.join("loop")).unwrap();
        assert!(confine(root, "loop", "env file").is_err());
    }

    #[test]
    fn writes_refuse_inputs_and_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("schema.json");
        std::fs::write(&input, "{}").unwrap();
        assert!(write_atomic(&input, b"x", std::slice::from_ref(&input), "report").is_err());
        assert_eq!(std::fs::read_to_string(&input).unwrap(), "{}");
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        assert!(write_atomic(&link, b"x", &[], "report").unwrap_err().message().contains("symlink"));
        let out = dir.path().join("out.json");
        write_atomic(&out, b"one", std::slice::from_ref(&input), "report").unwrap();
        write_atomic(&out, b"two", &[input], "report").unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "two");
        let leftovers: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().ends_with(".tmp")).collect();
        assert!(leftovers.is_empty());
    }
}
