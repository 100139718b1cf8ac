//! The fingerprint: one digest of exactly the environment that was checked (variable names,
//! value digests, resolved resource ids, the account, artifact source digests, the git commit),
//! so a deploy step can prove it is rolling out what the gate passed (`--expect-fingerprint`).
//!
//! Fingerprints are published (CI logs, SARIF, job outputs), so they must not let anyone recover
//! a secret by guessing (SPEC section 2). Plain values enter as SHA-256 digests; secret values
//! never do:
//! - with `PREFLIGHT_FINGERPRINT_KEY` set (a CI secret), each secret enters as HMAC-SHA256 under
//!   that key: without the key, a guess cannot be checked at all;
//! - without a key, all secrets of the run enter together through one Argon2id derivation
//!   (OWASP's minimum parameters: 19 MiB, 2 passes), salted with the environment's name and its
//!   secret variables' names. The salt is derived, not random, so the same environment gives
//!   the same fingerprint on every machine; each guess costs an attacker one derivation, and
//!   must guess every secret of the environment at once.

use argon2::{Algorithm, Argon2, Params, Version};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The variable naming the fingerprint key.
pub const KEY_VAR: &str = "PREFLIGHT_FINGERPRINT_KEY";

/// Argon2id cost: memory in KiB, passes, lanes (OWASP password storage cheat sheet minimum).
pub const ARGON2_M_KIB: u32 = 19 * 1024;
pub const ARGON2_T: u32 = 2;
pub const ARGON2_P: u32 = 1;

/// What goes into the fingerprint. Values enter only as digests.
#[derive(Debug, Default)]
pub struct Inputs<'a> {
    /// The environment's name: salts the secret derivation.
    pub environment: &'a str,
    /// (name, value, secret) of every variable, in any order.
    pub variables: Vec<(&'a str, &'a str, bool)>,
    /// (variable, region, resolved id) of every live resource.
    pub resources: Vec<(String, String, String)>,
    /// (artifact, source digest).
    pub artifacts: Vec<(String, String)>,
    pub commit: Option<String>,
    /// The AWS account the live checks ran in (`None` offline).
    pub account: Option<String>,
}

pub fn sha256_hex(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

/// The key from the environment, if one is set and not empty.
pub fn key_from_env() -> Option<Vec<u8>> {
    std::env::var_os(KEY_VAR).filter(|v| !v.is_empty()).map(|v| v.into_encoded_bytes())
}

/// One Argon2id derivation over every secret (sorted by name): the unkeyed secret digest.
pub fn slow_digest(environment: &str, secrets: &[(&str, &str)]) -> String {
    let mut salt = Sha256::new();
    salt.update(b"preflight-fingerprint-salt/1\0");
    salt.update(environment.as_bytes());
    let mut password = Vec::new();
    for (name, value) in secrets {
        salt.update(b"\0");
        salt.update(name.as_bytes());
        password.extend_from_slice(&(name.len() as u64).to_le_bytes());
        password.extend_from_slice(name.as_bytes());
        password.extend_from_slice(&(value.len() as u64).to_le_bytes());
        password.extend_from_slice(value.as_bytes());
    }
    let salt = salt.finalize();
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, Some(32)).expect("valid Argon2 parameters");
    let mut out = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(&password, &salt, &mut out)
        .expect("Argon2 accepts any password and a 32-byte salt");
    out.iter().map(|b| format!("{b:02x}")).collect()
}

fn keyed_digest(key: &[u8], name: &str, value: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(name.as_bytes());
    mac.update(b"\0");
    mac.update(value.as_bytes());
    format!("{:x}", mac.finalize().into_bytes())
}

/// The fingerprint; `key` is [`key_from_env`] in a real run.
pub fn compute(inputs: &Inputs<'_>, key: Option<&[u8]>) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut secrets: Vec<(&str, &str)> = Vec::new();
    for (name, value, secret) in &inputs.variables {
        if !secret {
            lines.push(format!("var\0{name}\0{}", sha256_hex(value.as_bytes())));
        } else if let Some(key) = key {
            lines.push(format!("secret\0{name}\0hmac:{}", keyed_digest(key, name, value)));
        } else {
            lines.push(format!("secret\0{name}"));
            secrets.push((name, value));
        }
    }
    if !secrets.is_empty() {
        secrets.sort();
        secrets.dedup();
        lines.push(format!("secrets\0argon2id:{}", slow_digest(inputs.environment, &secrets)));
    }
    for (var, region, id) in &inputs.resources {
        lines.push(format!("resource\0{var}\0{region}\0{id}"));
    }
    for (name, digest) in &inputs.artifacts {
        lines.push(format!("artifact\0{name}\0{digest}"));
    }
    if let Some(account) = &inputs.account {
        lines.push(format!("account\0{account}"));
    }
    lines.sort();
    lines.dedup();
    let mut h = Sha256::new();
    h.update(b"preflight-fingerprint/2\n");
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

    fn fp(vars: Vec<(&str, &str, bool)>, key: Option<&[u8]>) -> String {
        compute(&Inputs { environment: "prod", variables: vars, ..Default::default() }, key)
    }

    #[test]
    fn order_independent_and_value_sensitive() {
        let a = fp(vec![("A", "1", false), ("B", "2", false)], None);
        assert_eq!(a, fp(vec![("B", "2", false), ("A", "1", false)], None));
        assert_ne!(a, fp(vec![("A", "1", false), ("B", "3", false)], None));
        let d = Inputs { variables: vec![("A", "1", false), ("B", "2", false)], commit: Some("abc".into()), ..Default::default() };
        assert_ne!(a, compute(&d, None));
        let e = Inputs { variables: vec![("A", "1", false), ("B", "2", false)], account: Some("111111111111".into()), ..Default::default() };
        assert_ne!(compute(&Inputs { variables: vec![("A", "1", false), ("B", "2", false)], ..Default::default() }, None), compute(&e, None));
        assert!(a.starts_with("sha256:"));
    }

    #[test]
    fn secrets_change_it_and_are_not_a_plain_digest() {
        let one = fp(vec![("DB_PASSWORD", "hunter", true)], None);
        assert_eq!(one, fp(vec![("DB_PASSWORD", "hunter", true)], None), "deterministic across runs and machines");
        assert_ne!(one, fp(vec![("DB_PASSWORD", "hunteR", true)], None));
        // The plain-digest form the old fingerprint used does not reproduce it.
        assert_ne!(one, fp(vec![("DB_PASSWORD", "hunter", false)], None));
        let keyed = fp(vec![("DB_PASSWORD", "hunter", true)], Some(b"k1"));
        assert_ne!(keyed, one);
        assert_eq!(keyed, fp(vec![("DB_PASSWORD", "hunter", true)], Some(b"k1")));
        assert_ne!(keyed, fp(vec![("DB_PASSWORD", "hunter", true)], Some(b"k2")));
        assert_ne!(keyed, fp(vec![("DB_PASSWORD", "hunteR", true)], Some(b"k1")));
    }
}
