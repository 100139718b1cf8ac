//! The provenance file `preflight stamp` writes next to a build artifact (SPEC section 4):
//! which commit it was built from and the digest of its declared source paths at that commit.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diag::read_text_file;

/// Largest provenance file read; a real one is a few hundred bytes.
const MAX_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    pub preflight_provenance: u32,
    pub artifact: String,
    pub commit: String,
    pub source_digest: String,
    pub paths: Vec<String>,
    pub dirty: bool,
    pub created_at: String,
}

/// Why a provenance file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    Missing,
    Invalid(String),
}

pub fn read(path: &Path) -> Result<Provenance, ReadError> {
    if !path.exists() {
        return Err(ReadError::Missing);
    }
    let text = read_text_file(path, MAX_BYTES, "provenance file").map_err(|e| ReadError::Invalid(e.message().to_string()))?;
    parse(&text)
}

pub fn parse(text: &str) -> Result<Provenance, ReadError> {
    let p: Provenance = serde_json::from_str(text).map_err(|e| ReadError::Invalid(format!("not a provenance file: {e}")))?;
    if p.preflight_provenance != 1 {
        return Err(ReadError::Invalid(format!("provenance format {} is not supported (expected 1)", p.preflight_provenance)));
    }
    if !p.source_digest.starts_with("sha256:") || p.source_digest.len() != 71 {
        return Err(ReadError::Invalid("source_digest is not a sha256: digest".into()));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trip() {
        let p = Provenance {
            preflight_provenance: 1,
            artifact: "launcher".into(),
            commit: "0".repeat(40),
            source_digest: format!("sha256:{}", "a".repeat(64)),
            paths: vec!["tools/launcher".into()],
            dirty: false,
            created_at: "2026-11-22T04:00:00Z".into(),
        };
        assert_eq!(parse(&serde_json::to_string(&p).unwrap()), Ok(p));
        assert!(matches!(parse("{}"), Err(ReadError::Invalid(_))));
        assert!(matches!(parse("[[[["), Err(ReadError::Invalid(_))));
    }

    const SAMPLE: &str = r#"{"preflight_provenance": 1, "artifact": "launcher", "commit": "0123456789abcdef0123456789abcdef01234567",
        "source_digest": "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "paths": ["tools/launcher"],
        "dirty": false, "created_at": "2026-11-22T04:00:00Z"}"#;

    proptest! {
        /// Byte edits of a real provenance file reach every field's validation: never a panic.
        #[test]
        fn edited_provenance_never_panics(edits in proptest::collection::vec((0usize..SAMPLE.len(), any::<u8>()), 1..6)) {
            prop_assert!(parse(SAMPLE).is_ok());
            let mut bytes = SAMPLE.as_bytes().to_vec();
            for (at, b) in edits {
                bytes[at] = b;
            }
            let _ = parse(&String::from_utf8_lossy(&bytes));
        }
    }
}
