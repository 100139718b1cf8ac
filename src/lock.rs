//! The lock `preflight snapshot` writes after the tests pass: the tested environment as the
//! data its parity needs, and never a plaintext value. `same` values are kept as salted
//! digests (a per-lock random salt, so a digest cannot be looked up in a table of common
//! values), `resource` values as the attributes that make two resources equivalent across
//! regions and accounts, secrets as presence only.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::diag::{ToolError, line_col, read_text_file};
use crate::schema::Parity;

const MAX_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    pub preflight_lock: u32,
    pub environment: String,
    pub region: String,
    pub commit: Option<String>,
    pub created_at: String,
    pub fingerprint: String,
    /// True when made with --offline: resource attributes were not looked up.
    pub offline: bool,
    /// The AWS account the tested environment was checked in (null offline).
    #[serde(default)]
    pub account: Option<String>,
    /// Hex salt for the `same` digests.
    pub salt: String,
    pub variables: BTreeMap<String, LockedVar>,
    #[serde(default)]
    pub artifacts: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedVar {
    pub parity: Parity,
    /// Present for secrets: only their presence is recorded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
    /// `same`, not secret, value known: sha256 of salt, name and value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// `resource`: the `x-aws` kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `resource`: the attributes of each resource named, sorted; `None` when they could not
    /// be looked up (offline, or the lookup failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<Value>>,
}

/// A fresh random salt.
pub fn new_salt() -> Result<String, ToolError> {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).map_err(|e| ToolError::new(format!("no randomness for the lock's salt: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// The salted digest of a `same` value.
pub fn salted(salt: &str, name: &str, value: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"preflight-lock/1\0");
    h.update(salt.as_bytes());
    h.update(b"\0");
    h.update(name.as_bytes());
    h.update(b"\0");
    h.update(value.as_bytes());
    format!("sha256:{:x}", h.finalize())
}

/// Reads a lock; a missing, unreadable or malformed lock is a tool error (exit 2).
pub fn read(path: &Path, display: &str) -> Result<Lock, ToolError> {
    crate::files::require_regular(path, "lock")?;
    if !path.is_file() {
        return Err(ToolError::new(format!("lock {display} does not exist"))
            .with_help("write it after the tests pass with `preflight snapshot --env NAME`, or pass --against LOCK"));
    }
    let text = read_text_file(path, MAX_BYTES, "lock")?;
    parse(&text, display)
}

pub fn parse(text: &str, display: &str) -> Result<Lock, ToolError> {
    let lock: Lock = serde_json::from_str(text).map_err(|e| {
        let (l, c) = (e.line(), e.column());
        let offset = text.split_inclusive('\n').take(l.saturating_sub(1)).map(str::len).sum::<usize>() + c.saturating_sub(1);
        let offset = offset.min(text.len());
        let _ = line_col;
        ToolError::new(format!("lock {display} is not a preflight lock: {e}")).with_source(display, text, offset..offset, "here")
    })?;
    if lock.preflight_lock != 1 {
        return Err(ToolError::new(format!("lock {display} has format {}, this preflight reads 1", lock.preflight_lock)));
    }
    Ok(lock)
}

/// Writes the lock atomically; never over one of `inputs`, never through a symlink.
pub fn write(path: &Path, lock: &Lock, inputs: &[std::path::PathBuf]) -> Result<(), ToolError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| ToolError::new(format!("cannot create {}: {e}", parent.display())))?;
    }
    let text = serde_json::to_string_pretty(lock).map_err(|e| ToolError::new(e.to_string()))? + "\n";
    crate::files::write_atomic(path, text.as_bytes(), inputs, "lock")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn salts_differ_and_digests_depend_on_them() {
        let (a, b) = (new_salt().unwrap(), new_salt().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert_ne!(salted(&a, "K", "v"), salted(&b, "K", "v"));
        assert_eq!(salted(&a, "K", "v"), salted(&a, "K", "v"));
        assert_ne!(salted(&a, "K", "v"), format!("sha256:{:x}", Sha256::digest(b"v")));
    }

    #[test]
    fn malformed_locks_are_tool_errors() {
        assert!(parse("{", "l.json").is_err());
        assert!(parse("[]", "l.json").is_err());
        assert!(parse(&format!("{}{}", "[".repeat(5000), "]".repeat(5000)), "l.json").is_err());
    }

    proptest! {
        #[test]
        fn garbage_never_panics(s in ".{0,400}") {
            let _ = parse(&s, "l.json");
        }
    }
}
