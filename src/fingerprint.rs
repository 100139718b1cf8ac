//! The fingerprint: one digest of exactly the environment that was checked (variable names,
//! value digests, resolved resource ids, artifact source digests, the git commit), so a deploy
//! step can prove it is rolling out what the gate passed (`--expect-fingerprint`).

use sha2::{Digest, Sha256};

/// What goes into the fingerprint. Values enter only as digests.
#[derive(Debug, Default)]
pub struct Inputs<'a> {
    /// (name, value) of every variable, in any order.
    pub variables: Vec<(&'a str, &'a str)>,
    /// (variable, region, resolved id) of every live resource.
    pub resources: Vec<(String, String, String)>,
    /// (artifact, source digest).
    pub artifacts: Vec<(String, String)>,
    pub commit: Option<String>,
}

pub fn sha256_hex(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

pub fn compute(inputs: &Inputs<'_>) -> String {
    let mut lines: Vec<String> = Vec::new();
    for (name, value) in &inputs.variables {
        lines.push(format!("var\0{name}\0{}", sha256_hex(value.as_bytes())));
    }
    for (var, region, id) in &inputs.resources {
        lines.push(format!("resource\0{var}\0{region}\0{id}"));
    }
    for (name, digest) in &inputs.artifacts {
        lines.push(format!("artifact\0{name}\0{digest}"));
    }
    lines.sort();
    lines.dedup();
    let mut h = Sha256::new();
    h.update(b"preflight-fingerprint/1\n");
    for l in &lines {
        h.update(l.as_bytes());
        h.update(b"\n");
    }
    h.update(format!("commit\0{}\n", inputs.commit.as_deref().unwrap_or("none")).as_bytes());
    format!("sha256:{:x}", h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_independent_and_value_sensitive() {
        let a = Inputs { variables: vec![("A", "1"), ("B", "2")], ..Default::default() };
        let b = Inputs { variables: vec![("B", "2"), ("A", "1")], ..Default::default() };
        let c = Inputs { variables: vec![("A", "1"), ("B", "3")], ..Default::default() };
        assert_eq!(compute(&a), compute(&b));
        assert_ne!(compute(&a), compute(&c));
        let d = Inputs { variables: vec![("A", "1"), ("B", "2")], commit: Some("abc".into()), ..Default::default() };
        assert_ne!(compute(&a), compute(&d));
        assert!(compute(&a).starts_with("sha256:"));
    }
}
