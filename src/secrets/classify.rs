//! One secret classifier (issue 21): decides whether a variable is secret from its schema, its
//! name and the shape of its value, and masks the password of every `scheme://user:pw@host` URL
//! in text we print. Std only, so it compiles with plain `rustc`; every function is linear in
//! the length of its input (values can be megabytes), never slices a `&str` off a character
//! boundary, and does not panic.
//!
//! # Rules, in order
//!
//! 1. **Schema.** `writeOnly: true` makes a variable secret; `writeOnly: false` is an explicit
//!    opt-out that overrides every rule below.
//! 2. **Name.** [`name_words`] splits the name at `_`, `-`, `.` (any non-alphanumeric) and at
//!    case changes (`dbPassword` -> `DB PASSWORD`, `APIKey` -> `API KEY`; digits stay with their
//!    word: `N8N`, `S3`, `V1`). A name is secret when a word
//!    - is one of PASSWORD PASSWD PASS PWD PASSPHRASE SECRET TOKEN CREDENTIAL CREDENTIALS SALT
//!      PRIVATE, or ends in PASSWORD/PASSWD/SECRET/TOKEN (`DBPASSWORD`, `CLIENTSECRET`), or
//!    - ends in KEY (`KEY`, `APIKEY`, `SECRETKEY`, and also `MONKEY`: masking when in doubt is
//!      cheap, and no English stop list is worth its upkeep), unless the word PUBLIC, PUB or
//!      PUBLISHABLE comes before it (`VAPID_PUBLIC_KEY`, `NEXT_PUBLIC_ZENDESK_KEY`), the word is
//!      itself `PUBKEY`/`PUBLICKEY`, or it is a `SITE_KEY` (reCAPTCHA, hCaptcha and Turnstile
//!      site keys are public by design);
//!    - and no *metadata word* follows it: ID, IDS, NAME, ARN, ALIAS, PREFIX, FILE, PATH, DIR,
//!      URL, URI, ENDPOINT, HOST, PORT, HEADER, TYPE, ALGORITHM, LENGTH, SIZE, TTL, EXPIRY,
//!      LIFETIME, ENABLED, VERSION, REGION. Such a name describes the secret rather than holding
//!      it: `AWS_ACCESS_KEY_ID` (the issue's own example), `AWS_CLOUDFRONT_KEY_PAIR_ID`,
//!      `OIDC_TOKEN_URI`, `API_KEY_PREFIX`, `DB_PASSWORD_FILE`, `MIN_PASSWORD_LENGTH`.
//!      `KEYCLOAK_URL` and `PASSENGER_COUNT` are plain because KEYCLOAK does not end in KEY and
//!      PASSENGER is not PASS. The word list is detect-secrets' keyword DENYLIST
//!      (<https://github.com/Yelp/detect-secrets/blob/010e929eb1e4fa350c8325dfe85f69a2ef81821b/detect_secrets/plugins/keyword.py>),
//!      matched on whole words instead of substrings so `PASSENGER`/`BYPASS`/`KEYCLOAK` stay plain.
//! 3. **Value shape** ([`by_value`]), first match wins:
//!    - a PEM private key: `-----BEGIN <label>PRIVATE KEY-----` (RSA, EC, DSA, OPENSSH, PGP ...
//!      BLOCK, ENCRYPTED, plain PKCS#8), `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----` and
//!      `PuTTY-User-Key-File-`, after detect-secrets
//!      (<https://github.com/Yelp/detect-secrets/blob/01396dcf7a77d6bb7c39bd22458a8e2d230f7c04/detect_secrets/plugins/private_key.py>)
//!      and gitleaks' `private-key` rule. The BEGIN line alone is enough;
//!    - a JWT: `eyJ` + three base64url parts joined by dots, whose header decodes to a JSON
//!      object naming `"alg"` and whose payload decodes to a JSON object, as detect-secrets'
//!      `is_formally_valid` does
//!      (<https://github.com/Yelp/detect-secrets/blob/30ecb2da0b08dca52a32b4028f7b21f92b8e1ff7/detect_secrets/plugins/jwt.py>);
//!    - a vendor token: a well-known prefix at a word boundary followed by a body of the
//!      vendor's alphabet and length, taken from gitleaks' rules
//!      (<https://github.com/gitleaks/gitleaks/blob/b58d3f102cf3a2c84cb7f923d05c25c9b1aed84b/config/gitleaks.toml>,
//!      rule ids in `VENDORS`). The body must also not be a placeholder (`xxxx`, `0000`), so
//!      `sk-` alone, `sk-learn` and `ghp_your_token_here` stay plain. Identifiers that gitleaks
//!      also matches are *not* secrets here: AWS `AKIA`/`ASIA` access key ids, Alibaba `LTAI`
//!      ids and Twilio `SK` API-key SIDs are shown in consoles and logs; the secret is the
//!      other half of the pair, which the name or the entropy rule catches;
//!    - a URL with a password, `scheme://user:password@host` (`redis://:pw@host` too); a
//!      user-only URL (`https://publickey@o1.ingest.sentry.io/1`, a Sentry DSN) is plain;
//!    - a high-entropy string: a run of 32 or more base64 characters (`A-Za-z0-9+/_-`) whose
//!      Shannon entropy is that of a generated key. detect-secrets
//!      (<https://github.com/Yelp/detect-secrets/blob/00e60762d7367b30db3ead6c98392e66bdf62d24/detect_secrets/plugins/high_entropy_strings.py>)
//!      uses 3.0 bits/char for hex and 4.5 for base64. Hex keeps 3.0 (with detect-secrets'
//!      penalty of `1.2 / log2(len)` for all-digit strings, so long numbers stay plain). The
//!      fixed 4.5 misses about half of all random 32-character base64 keys (their median
//!      entropy is 4.56), so the base64 limit is `min(4.5, log2(len) - 0.9)` and the limit for
//!      single-case alphanumerics (`[a-z0-9]`, `[A-Z0-9]`) is `min(4.0, log2(len) - 1.15)`;
//!      close to the limit (within 0.35 bits, and shorter than 64) a run must also switch
//!      between letters and digits at least 3 times, which random keys do (mean ~9 times in
//!      32 characters) and concatenated words (`MyCompanyProductionDatabase2024Backup`) do not.
//!      The unit tests measure a recall of over 97% on random keys of 32-64 characters.
//!      Not high-entropy: ARNs (`arn:`), AWS resource ids (`ami-`, `sg-`, `subnet-`, `vpc-`,
//!      `lt-`, `i-`, `vol-`, `snap-` ... + hex), UUIDs (ids far more often than secrets; a UUID
//!      under a secret name is still caught by the name), digests after `sha256:`/`sha1:`/...
//!      and subresource-integrity hashes (`sha384-...`), public certificates and keys (any
//!      `-----BEGIN ` block that is not a private key, `ssh-ed25519 AAAA...`), and the host and
//!      path of a URL without a password (only its query string and fragment are examined).
//!      A bare 40-hex string *is* secret by shape: legacy GitHub tokens, HMAC keys and many API
//!      keys look exactly like a git commit id.
//! 4. **Name context for entropy only** ([`classify`]): a high-entropy value is plain when the
//!    name says it is public (a word PUBLIC, PUB, PUBLISHABLE, SITE, PUBKEY or PUBLICKEY:
//!    `VAPID_PUBLIC_KEY`), an identifier (last word ID, IDS, SID, UUID or GUID:
//!    `TWILIO_SID`, `S3_PROTOCOL_ACCESS_KEY_ID`), or a digest (an all-hex value under a word
//!    SHA, SHA1, SHA256, COMMIT, REVISION, REV, DIGEST, HASH, CHECKSUM or ETAG:
//!    `HEROKU_SLUG_COMMIT`). JWTs, private keys, vendor tokens and URL passwords are never
//!    excused by the name.

use std::borrow::Cow;
use std::fmt;

/// Why a variable is secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The schema marks it `writeOnly: true`.
    Schema,
    /// This (uppercased) word of the name, e.g. `PASS` for `DB_PASS`.
    NameWord(String),
    /// The value has the shape of a credential.
    Shape(Shape),
}

/// The credential shapes [`by_value`] recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Jwt,
    PemPrivateKey,
    /// What kind of token, e.g. `"GitHub personal access token (ghp_)"`.
    VendorToken(&'static str),
    UrlPassword,
    HighEntropy,
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Jwt => f.write_str("JWT"),
            Shape::PemPrivateKey => f.write_str("PEM private key"),
            Shape::VendorToken(what) => f.write_str(what),
            Shape::UrlPassword => f.write_str("URL with a password"),
            Shape::HighEntropy => f.write_str("high-entropy string"),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Schema => f.write_str("schema writeOnly"),
            Reason::NameWord(word) => write!(f, "name word {word}"),
            Reason::Shape(shape) => write!(f, "value shape: {shape}"),
        }
    }
}

/// Classifies one variable; `None` means plain. `schema` is the schema's `writeOnly`, if it
/// says anything: `Some(true)` is secret and `Some(false)` is plain whatever the name and value.
pub fn classify(name: &str, value: Option<&str>, schema: Option<bool>) -> Option<Reason> {
    match schema {
        Some(true) => return Some(Reason::Schema),
        Some(false) => return None,
        None => {}
    }
    if let Some(word) = by_name(name) {
        return Some(Reason::NameWord(word));
    }
    let value = value?;
    let shape = by_value(value)?;
    if shape == Shape::HighEntropy && name_excuses_entropy(name, value) {
        return None;
    }
    Some(Reason::Shape(shape))
}

// ------------------------------------------------------------------------------------------
// Names

/// Words that make a name secret wherever they stand.
const SECRET_WORDS: &[&str] = &["PASSWORD", "PASSWD", "PASS", "PWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL", "CREDENTIALS", "SALT", "PRIVATE"];
/// Also secret as the end of a longer word (`DBPASSWORD`, `CLIENTSECRET`, `APITOKEN`).
const SECRET_SUFFIXES: &[&str] = &["PASSWORD", "PASSWD", "SECRET", "TOKEN"];
/// Before a KEY word: the key is public.
const PUBLIC_WORDS: &[&str] = &["PUBLIC", "PUB", "PUBLISHABLE"];
/// After a secret word: the name describes the secret (its id, file, URL, length...).
const METADATA_WORDS: &[&str] = &[
    "ID",
    "IDS",
    "NAME",
    "ARN",
    "ALIAS",
    "PREFIX",
    "FILE",
    "PATH",
    "DIR",
    "URL",
    "URI",
    "ENDPOINT",
    "HOST",
    "PORT",
    "HEADER",
    "TYPE",
    "ALGORITHM",
    "LENGTH",
    "SIZE",
    "TTL",
    "EXPIRY",
    "LIFETIME",
    "ENABLED",
    "VERSION",
    "REGION",
];
/// As the last word: the value is an identifier, so its entropy says nothing.
const ID_WORDS: &[&str] = &["ID", "IDS", "SID", "UUID", "GUID"];
/// Anywhere, with an all-hex value: the value is a digest or commit id.
const DIGEST_WORDS: &[&str] = &["SHA", "SHA1", "SHA256", "COMMIT", "REVISION", "REV", "DIGEST", "HASH", "CHECKSUM", "ETAG"];

/// Splits a variable name into uppercased words at non-alphanumeric characters and at case
/// changes: `dbPassword` -> `[DB, PASSWORD]`, `APIKey` -> `[API, KEY]`, `S3Bucket` ->
/// `[S3, BUCKET]`, `N8N_SMTP_PASS` -> `[N8N, SMTP, PASS]`, `base64Key` -> `[BASE64, KEY]`.
pub fn name_words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    // The case of the last letter of `word` (digits have none): Some(true) for upper.
    let mut last_upper: Option<bool> = None;
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            last_upper = None;
            continue;
        }
        if c.is_uppercase() && !word.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let split = if prev.is_lowercase() {
                true // dbPassword
            } else if prev.is_uppercase() {
                next_lower // APIKey: the K starts "Key"
            } else if prev.is_numeric() {
                // auth2Token splits; N8N does not; S3Bucket does (B starts "Bucket").
                last_upper == Some(false) || (last_upper == Some(true) && next_lower)
            } else {
                false
            };
            if split {
                words.push(std::mem::take(&mut word));
                last_upper = None;
            }
        }
        word.extend(c.to_uppercase());
        if c.is_uppercase() {
            last_upper = Some(true);
        } else if c.is_lowercase() {
            last_upper = Some(false);
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The word of `name` that makes it secret, if any (see the module documentation).
pub fn by_name(name: &str) -> Option<String> {
    let words = name_words(name);
    // described[i]: a metadata word comes after word i (one pass from the end: linear).
    let mut described = vec![false; words.len()];
    for i in (0..words.len().saturating_sub(1)).rev() {
        described[i] = described[i + 1] || METADATA_WORDS.contains(&words[i + 1].as_str());
    }
    let mut public_before = false;
    for (i, word) in words.iter().enumerate() {
        let w = word.as_str();
        let secret_word = SECRET_WORDS.contains(&w) || SECRET_SUFFIXES.iter().any(|s| w.len() > s.len() && w.ends_with(s));
        let public_key = public_before
            || (w.starts_with("PUB") && w.len() > 3) // PUBKEY, PUBLICKEY, PUBLISHABLEKEY
            || (i > 0 && words[i - 1] == "SITE");
        let key_word = !secret_word && w.ends_with("KEY") && !public_key;
        if (secret_word || key_word) && !described[i] {
            return Some(word.clone());
        }
        public_before |= PUBLIC_WORDS.contains(&w);
    }
    None
}

/// The name makes a high-entropy value plain (rule 4 of the module documentation).
fn name_excuses_entropy(name: &str, value: &str) -> bool {
    let words = name_words(name);
    let public = |w: &String| PUBLIC_WORDS.contains(&w.as_str()) || w == "SITE" || w == "PUBKEY" || w == "PUBLICKEY";
    if words.iter().any(public) || words.last().is_some_and(|w| ID_WORDS.contains(&w.as_str())) {
        return true;
    }
    let v = value.trim();
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_hexdigit()) && words.iter().any(|w| DIGEST_WORDS.contains(&w.as_str()))
}

// ------------------------------------------------------------------------------------------
// Values

/// The credential shape of `value`, if it has one (rule 3 of the module documentation).
pub fn by_value(value: &str) -> Option<Shape> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if has_pem_private_key(v) {
        return Some(Shape::PemPrivateKey);
    }
    if has_jwt(v) {
        return Some(Shape::Jwt);
    }
    if let Some(what) = vendor_token(v) {
        return Some(Shape::VendorToken(what));
    }
    if !url_password_ranges(v).is_empty() {
        return Some(Shape::UrlPassword);
    }
    if has_high_entropy_run(v) {
        return Some(Shape::HighEntropy);
    }
    None
}

/// Byte offset of `needle` in `hay`, naively (only used on windows of bounded length).
fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn has_pem_private_key(v: &str) -> bool {
    const BEGIN: &str = "-----BEGIN ";
    let b = v.as_bytes();
    for (i, _) in v.match_indices(BEGIN) {
        // gitleaks: `-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----`
        let rest = &b[i + BEGIN.len()..];
        let window = &rest[..rest.len().min(120)];
        let Some(end) = find_bytes(window, b"-----") else { continue };
        let label = &window[..end];
        let label_ok = label.iter().all(|&c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, b' ' | b'_' | b'-'));
        if label_ok && (label.ends_with(b"PRIVATE KEY") || label.ends_with(b"PRIVATE KEY BLOCK")) {
            return true;
        }
    }
    v.contains("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----") || v.contains("PuTTY-User-Key-File-")
}

fn is_jwt_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'=')
}

fn has_jwt(v: &str) -> bool {
    let b = v.as_bytes();
    for (i, _) in v.match_indices("eyJ") {
        // Only at the start of a run, so every run is walked once.
        if i > 0 && is_jwt_byte(b[i - 1]) {
            continue;
        }
        let len = b[i..].iter().take_while(|&&c| is_jwt_byte(c)).count();
        if is_jwt(&b[i..i + len]) {
            return true;
        }
    }
    false
}

fn is_jwt(token: &[u8]) -> bool {
    let mut parts = token.split(|&c| c == b'.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let json_object = |part: &[u8]| {
        base64url_decode(part).is_some_and(|bytes| {
            std::str::from_utf8(&bytes).is_ok_and(|text| {
                let text = text.trim();
                text.starts_with('{') && text.ends_with('}')
            })
        })
    };
    let header_names_alg = base64url_decode(header).is_some_and(|bytes| std::str::from_utf8(&bytes).is_ok_and(|t| t.contains("\"alg\"")));
    !payload.is_empty() && json_object(header) && header_names_alg && json_object(payload) && (signature.is_empty() || base64url_decode(signature).is_some())
}

/// Decodes base64url (RFC 4648 §5; the standard `+` `/` alphabet is accepted too) with or
/// without `=` padding. `None` on a character outside the alphabet or an impossible length.
/// Kept apart so it can be swapped for the `base64` crate.
fn base64url_decode(input: &[u8]) -> Option<Vec<u8>> {
    // The base64 crate's URL-safe alphabet; JWT segments carry no padding, but a value with
    // padding or non-zero trailing bits is still read rather than called "not a JWT".
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent).with_decode_allow_trailing_bits(true),
    );
    ENGINE.decode(input).ok()
}

/// A vendor token: `prefix` at a word boundary, then `min..=max` bytes of `body`.
struct Vendor {
    prefix: &'static str,
    what: &'static str,
    body: fn(u8) -> bool,
    min: usize,
    max: usize,
}

fn alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}
fn word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}
fn word_dash(c: u8) -> bool {
    word(c) || c == b'-'
}
fn alnum_dash(c: u8) -> bool {
    alnum(c) || c == b'-'
}
fn hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}
fn lower_hex(c: u8) -> bool {
    c.is_ascii_digit() || (b'a'..=b'f').contains(&c)
}
fn hex_dash(c: u8) -> bool {
    lower_hex(c) || c == b'-'
}
fn letters(c: u8) -> bool {
    c.is_ascii_alphabetic()
}
fn upper_alnum(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}
fn base64_std(c: u8) -> bool {
    alnum(c) || matches!(c, b'+' | b'/' | b'=')
}
fn base64_word(c: u8) -> bool {
    word(c) || matches!(c, b'+' | b'/' | b'=')
}
fn word_dot_eq_dash(c: u8) -> bool {
    word_dash(c) || matches!(c, b'.' | b'=')
}
fn alnum_dot(c: u8) -> bool {
    alnum(c) || c == b'.'
}

const fn vendor(prefix: &'static str, what: &'static str, body: fn(u8) -> bool, min: usize, max: usize) -> Vendor {
    Vendor { prefix, what, body, min, max }
}

/// Vendor prefixes from gitleaks' config/gitleaks.toml (rule id in each comment), most
/// specific first: the first vendor with a match names the token.
const VENDORS: &[Vendor] = &[
    // anthropic-api-key, anthropic-admin-api-key: sk-ant-api03-[\w-]{93}AA
    vendor("sk-ant-", "Anthropic API key (sk-ant-)", word_dash, 90, 130),
    // openai-api-key: sk-(proj|svcacct|admin)-[\w-]{58 or 74}T3BlbkFJ[\w-]{58 or 74}
    vendor("sk-proj-", "OpenAI project API key (sk-proj-)", word_dash, 100, 200),
    vendor("sk-svcacct-", "OpenAI service-account key (sk-svcacct-)", word_dash, 100, 200),
    vendor("sk-admin-", "OpenAI admin key (sk-admin-)", word_dash, 100, 200),
    // openai-api-key (legacy sk-[a-zA-Z0-9]{20}T3BlbkFJ[a-zA-Z0-9]{20}) and the many
    // OpenAI-compatible providers using sk-<32+ chars>.
    vendor("sk-", "API secret key (sk-)", word_dash, 32, 200),
    // stripe-access-token: (sk|rk)_(test|live|prod)_[a-zA-Z0-9]{10,99}
    vendor("sk_live_", "Stripe secret key (sk_live_)", alnum, 10, 120),
    vendor("sk_test_", "Stripe test secret key (sk_test_)", alnum, 10, 120),
    vendor("sk_prod_", "Stripe secret key (sk_prod_)", alnum, 10, 120),
    vendor("rk_live_", "Stripe restricted key (rk_live_)", alnum, 10, 120),
    vendor("rk_test_", "Stripe test restricted key (rk_test_)", alnum, 10, 120),
    vendor("rk_prod_", "Stripe restricted key (rk_prod_)", alnum, 10, 120),
    // github-pat, github-oauth, github-app-token, github-refresh-token: gh?_[0-9a-zA-Z]{36}
    vendor("ghp_", "GitHub personal access token (ghp_)", alnum, 36, 255),
    vendor("gho_", "GitHub OAuth token (gho_)", alnum, 36, 255),
    vendor("ghu_", "GitHub user-to-server token (ghu_)", alnum, 36, 255),
    vendor("ghs_", "GitHub server-to-server token (ghs_)", alnum, 36, 255),
    vendor("ghr_", "GitHub refresh token (ghr_)", alnum, 36, 255),
    // github-fine-grained-pat: github_pat_\w{82}
    vendor("github_pat_", "GitHub fine-grained token (github_pat_)", word, 82, 255),
    // gitlab-pat, gitlab-pat-routable, gitlab-ptt, gitlab-deploy-token
    vendor("glpat-", "GitLab personal access token (glpat-)", word_dash, 20, 300),
    vendor("glptt-", "GitLab pipeline trigger token (glptt-)", lower_hex, 40, 40),
    vendor("gldt-", "GitLab deploy token (gldt-)", word_dash, 20, 300),
    // slack-bot-token, slack-user-token, slack-legacy-*, slack-app-token, slack-config-*
    vendor("xoxb-", "Slack bot token (xoxb-)", alnum_dash, 20, 255),
    vendor("xoxp-", "Slack user token (xoxp-)", alnum_dash, 20, 255),
    vendor("xoxa-", "Slack workspace token (xoxa-)", alnum_dash, 10, 255),
    vendor("xoxr-", "Slack refresh token (xoxr-)", alnum_dash, 10, 255),
    vendor("xoxe.xox", "Slack configuration token (xoxe.)", alnum_dash, 20, 255),
    vendor("xoxe-", "Slack configuration refresh token (xoxe-)", alnum_dash, 20, 255),
    vendor("xoxo-", "Slack legacy token (xoxo-)", alnum_dash, 20, 255),
    vendor("xoxs-", "Slack legacy token (xoxs-)", alnum_dash, 20, 255),
    vendor("xapp-", "Slack app-level token (xapp-)", alnum_dash, 20, 255),
    // slack-webhook-url: hooks.slack.com/(services|workflows|triggers)/[A-Za-z0-9+/]{43,56}
    vendor("https://hooks.slack.com/services/", "Slack webhook URL", base64_std, 43, 56),
    vendor("https://hooks.slack.com/workflows/", "Slack webhook URL", base64_std, 43, 56),
    vendor("https://hooks.slack.com/triggers/", "Slack webhook URL", base64_std, 43, 56),
    // sendgrid-api-token: SG\.[a-z0-9=_\-\.]{66} (case-insensitive)
    vendor("SG.", "SendGrid API key (SG.)", word_dot_eq_dash, 66, 66),
    // npm-access-token: npm_[a-z0-9]{36} (case-insensitive)
    vendor("npm_", "npm access token (npm_)", alnum, 36, 36),
    // pypi-upload-token: pypi-AgEIcHlwaS5vcmc[\w-]{50,1000}
    vendor("pypi-AgEIcHlwaS5vcmc", "PyPI upload token (pypi-)", word_dash, 50, 1000),
    // huggingface-access-token, huggingface-organization-api-token: [a-z]{34} (case-insensitive)
    vendor("hf_", "Hugging Face access token (hf_)", letters, 34, 34),
    vendor("api_org_", "Hugging Face organization token (api_org_)", letters, 34, 34),
    // gcp-api-key: AIza[\w-]{35}
    vendor("AIza", "Google API key (AIza)", word_dash, 35, 35),
    // shopify-*: shp(at|ca|pa|ss)_[a-fA-F0-9]{32}
    vendor("shpat_", "Shopify access token (shpat_)", hex, 32, 32),
    vendor("shpca_", "Shopify custom-app token (shpca_)", hex, 32, 32),
    vendor("shppa_", "Shopify private-app token (shppa_)", hex, 32, 32),
    vendor("shpss_", "Shopify shared secret (shpss_)", hex, 32, 32),
    // digitalocean-pat, digitalocean-access-token, digitalocean-refresh-token: [a-f0-9]{64}
    vendor("dop_v1_", "DigitalOcean personal access token (dop_v1_)", lower_hex, 64, 64),
    vendor("doo_v1_", "DigitalOcean OAuth token (doo_v1_)", lower_hex, 64, 64),
    vendor("dor_v1_", "DigitalOcean refresh token (dor_v1_)", lower_hex, 64, 64),
    // grafana-cloud-api-token, grafana-service-account-token
    vendor("glc_", "Grafana Cloud token (glc_)", base64_std, 32, 403),
    vendor("glsa_", "Grafana service-account token (glsa_)", word, 41, 41),
    // databricks-api-token: dapi[a-f0-9]{32}
    vendor("dapi", "Databricks token (dapi)", lower_hex, 32, 32),
    // pulumi-api-token, prefect-api-token, rubygems-api-token, linear-api-key
    vendor("pul-", "Pulumi access token (pul-)", lower_hex, 40, 40),
    vendor("pnu_", "Prefect API key (pnu_)", alnum, 36, 36),
    vendor("rubygems_", "RubyGems API key (rubygems_)", lower_hex, 48, 48),
    vendor("lin_api_", "Linear API key (lin_api_)", alnum, 40, 40),
    // sentry-user-token, sentry-org-token
    vendor("sntryu_", "Sentry user token (sntryu_)", lower_hex, 64, 64),
    vendor("sntrys_", "Sentry organization token (sntrys_)", base64_word, 80, 600),
    // postman-api-token: PMAK-[a-f0-9]{24}-[a-f0-9]{34}
    vendor("PMAK-", "Postman API key (PMAK-)", hex_dash, 59, 59),
    // vault-service-token, vault-batch-token
    vendor("hvs.", "HashiCorp Vault token (hvs.)", word_dash, 90, 120),
    vendor("hvb.", "HashiCorp Vault batch token (hvb.)", word_dash, 138, 300),
    // planetscale-api-token, planetscale-password, planetscale-oauth-token
    vendor("pscale_tkn_", "PlanetScale API token (pscale_tkn_)", word_dot_eq_dash, 32, 64),
    vendor("pscale_pw_", "PlanetScale password (pscale_pw_)", word_dot_eq_dash, 32, 64),
    vendor("pscale_oauth_", "PlanetScale OAuth token (pscale_oauth_)", word_dot_eq_dash, 32, 64),
    // sendinblue-api-token: xkeysib-[a-f0-9]{64}-[a-z0-9]{16}
    vendor("xkeysib-", "Brevo/Sendinblue API key (xkeysib-)", alnum_dash, 81, 81),
    // doppler-api-token: dp\.pt\.[a-z0-9]{43} (case-insensitive)
    vendor("dp.pt.", "Doppler token (dp.pt.)", alnum, 43, 43),
    // age-secret-key
    vendor("AGE-SECRET-KEY-1", "age secret key (AGE-SECRET-KEY-1)", upper_alnum, 58, 58),
    // 1password-service-account-token: ops_eyJ[a-zA-Z0-9+/]{250,}={0,3}
    vendor("ops_eyJ", "1Password service-account token (ops_)", base64_std, 250, 5000),
    // notion-api-token: ntn_[0-9]{11}[A-Za-z0-9]{35}
    vendor("ntn_", "Notion API token (ntn_)", alnum, 46, 46),
    // mailgun-private-api-token: key-[a-f0-9]{32}
    vendor("key-", "Mailgun API key (key-)", lower_hex, 32, 32),
    // heroku-api-key-v2: HRKU-AA[0-9a-zA-Z_-]{58}
    vendor("HRKU-AA", "Heroku API key (HRKU-AA)", word_dash, 58, 58),
    // atlassian-api-token: ATATT3[A-Za-z0-9_\-=]{186}
    vendor("ATATT3", "Atlassian API token (ATATT3)", word_dot_eq_dash, 186, 186),
    // easypost-api-token, easypost-test-api-token
    vendor("EZAK", "EasyPost API key (EZAK)", alnum, 54, 54),
    vendor("EZTK", "EasyPost test API key (EZTK)", alnum, 54, 54),
    // flyio-access-token
    vendor("fo1_", "Fly.io token (fo1_)", word_dash, 43, 43),
    vendor("fm2_", "Fly.io macaroon token (fm2_)", base64_std, 100, 5000),
    // perplexity-api-key: pplx-[a-zA-Z0-9]{48}
    vendor("pplx-", "Perplexity API key (pplx-)", alnum, 48, 48),
    // square-access-token: (EAAA|sq0atp-)[\w-]{22,60}
    vendor("sq0atp-", "Square access token (sq0atp-)", word_dash, 22, 60),
    vendor("EAAA", "Square access token (EAAA)", word_dash, 22, 60),
    // cloudflare-origin-ca-key: v1\.0-[a-f0-9]{24}-[a-f0-9]{146}
    vendor("v1.0-", "Cloudflare Origin CA key (v1.0-)", hex_dash, 171, 171),
    // dynatrace-api-token: dt0c01\.[a-z0-9]{24}\.[a-z0-9]{64} (case-insensitive)
    vendor("dt0c01.", "Dynatrace API token (dt0c01.)", alnum_dot, 89, 89),
    // clojars-api-token: CLOJARS_[a-z0-9]{60} (case-insensitive)
    vendor("CLOJARS_", "Clojars deploy token (CLOJARS_)", alnum, 60, 60),
];

/// Shannon entropy in bits per byte (detect-secrets' `calculate_shannon_entropy`).
fn shannon(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0usize; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

fn vendor_token(v: &str) -> Option<&'static str> {
    // Every prefix is searched for in one pass (an Aho-Corasick automaton built once), not one
    // scan per vendor: this runs on every value of every env file. The first vendor in list
    // order whose token stands anywhere in the value wins, as gitleaks' rule order does.
    static PREFIXES: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| aho_corasick::AhoCorasick::new(VENDORS.iter().map(|v| v.prefix)).expect("vendor prefixes build an automaton"));
    let b = v.as_bytes();
    let mut best: Option<usize> = None;
    for m in PREFIXES.find_overlapping_iter(v) {
        let (idx, i) = (m.pattern().as_usize(), m.start());
        if best.is_some_and(|b| b <= idx) {
            continue;
        }
        let vendor = &VENDORS[idx];
        if i > 0 && word(b[i - 1]) {
            continue; // not at a word boundary: "task-...", "mysk_live_..."
        }
        let start = i + vendor.prefix.len();
        let len = b[start..].iter().take(vendor.max + 1).take_while(|&&c| (vendor.body)(c)).count();
        if len < vendor.min || len > vendor.max {
            continue;
        }
        // Not a placeholder: `xoxb-xxxxxxxxxxxxxxxxxxxxxxxx`, `sk_live_0000000000`.
        let body = &b[start..start + len];
        if shannon(body) >= 3.0_f64.min((len as f64).log2() - 0.5) {
            best = Some(idx);
        }
    }
    match best {
        Some(idx) => Some(VENDORS[idx].what),
        None => is_azure_client_secret(b).then_some("Azure AD client secret"),
    }
}

/// gitleaks' azure-ad-client-secret: `[a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34}`, as a whole value.
fn is_azure_client_secret(b: &[u8]) -> bool {
    let class = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'~' | b'.');
    (37..=40).contains(&b.len())
        && b[..3].iter().all(|&c| class(c))
        && b[3].is_ascii_digit()
        && b[4] == b'Q'
        && b[5] == b'~'
        && b[6..].iter().all(|&c| class(c) || c == b'-')
        && shannon(&b[6..]) >= 3.5
}

// ------------------------------------------------------------------------------------------
// High entropy

/// Shortest run examined, as the issue asks.
const MIN_RANDOM_LEN: usize = 32;
/// detect-secrets' HexHighEntropyString default limit.
const HEX_LIMIT: f64 = 3.0;
/// detect-secrets' Base64HighEntropyString default limit (reached from 44 characters on).
const BASE64_LIMIT: f64 = 4.5;
/// The limit for single-case alphanumerics (36 symbols) from 32 characters on.
const SINGLE_CASE_LIMIT: f64 = 4.0;

/// The base64 and base64url alphabets without the `=` padding (which adds no randomness).
fn is_run_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_')
}

/// `scheme://` at the very start of `v`: the offset just past it.
fn url_scheme_end(v: &[u8]) -> Option<usize> {
    if !v.first()?.is_ascii_alphabetic() {
        return None;
    }
    let scheme = v.iter().take_while(|&&c| is_scheme_byte(c)).count();
    v[scheme..].starts_with(b"://").then_some(scheme + 3)
}

fn has_high_entropy_run(v: &str) -> bool {
    const SSH_PUBLIC: &[&str] = &["ssh-rsa ", "ssh-dss ", "ssh-ed25519 ", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-"];
    if v.starts_with("arn:") || v.contains("-----BEGIN ") || SSH_PUBLIC.iter().any(|p| v.starts_with(p)) {
        return false;
    }
    let b = v.as_bytes();
    // A URL without a password: only its query string and fragment can carry a secret.
    let region = match url_scheme_end(b) {
        Some(_) => match b.iter().position(|&c| c == b'?' || c == b'#') {
            Some(q) => &b[q + 1..],
            None => return false,
        },
        None => b,
    };
    let mut i = 0;
    while i < region.len() {
        if !is_run_byte(region[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < region.len() && is_run_byte(region[i]) {
            i += 1;
        }
        let run = &region[start..i];
        if run.len() >= MIN_RANDOM_LEN && !is_excepted_run(&region[..start], run) && looks_random(run) {
            return true;
        }
    }
    false
}

/// Runs that are ids or digests whatever their entropy. `before` is the text before the run.
fn is_excepted_run(before: &[u8], run: &[u8]) -> bool {
    const DIGEST_LABELS: &[&[u8]] = &[b"sha1:", b"sha224:", b"sha256:", b"sha384:", b"sha512:", b"md5:"];
    const SRI: &[&[u8]] = &[b"sha256-", b"sha384-", b"sha512-"];
    let tail = &before[before.len().saturating_sub(7)..];
    DIGEST_LABELS.iter().any(|l| tail.len() >= l.len() && tail[tail.len() - l.len()..].eq_ignore_ascii_case(l))
        || SRI.iter().any(|p| run.starts_with(p))
        || is_uuid(run)
        || is_aws_resource_id(run)
}

/// `8-4-4-4-12` hex digits.
fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36 && s.iter().enumerate().all(|(i, &c)| if matches!(i, 8 | 13 | 18 | 23) { c == b'-' } else { c.is_ascii_hexdigit() })
}

/// An AWS resource id: a known prefix, `-`, and 8 or 17 lowercase hex digits (`ami-0abc...`).
fn is_aws_resource_id(s: &[u8]) -> bool {
    const PREFIXES: &[&[u8]] = &[
        b"ami",
        b"sg",
        b"subnet",
        b"vpc",
        b"lt",
        b"i",
        b"vol",
        b"snap",
        b"eni",
        b"igw",
        b"nat",
        b"rtb",
        b"acl",
        b"eipalloc",
        b"tgw",
        b"pcx",
        b"fs",
        b"vpce",
        b"lb",
    ];
    let Some(dash) = s.iter().position(|&c| c == b'-') else { return false };
    let (prefix, id) = (&s[..dash], &s[dash + 1..]);
    PREFIXES.contains(&prefix) && matches!(id.len(), 8 | 17) && id.iter().all(|&c| lower_hex(c))
}

/// Whether a run of base64 characters has the entropy of a generated key.
fn looks_random(run: &[u8]) -> bool {
    let n = run.len() as f64;
    let entropy = shannon(run);
    if run.iter().all(u8::is_ascii_hexdigit) {
        // detect-secrets' HexHighEntropyString, with its penalty for all-digit strings.
        let penalty = if run.iter().all(u8::is_ascii_digit) { 1.2 / n.log2() } else { 0.0 };
        return entropy - penalty > HEX_LIMIT;
    }
    let single_case = run.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) || run.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    let limit = if single_case { (n.log2() - 1.15).min(SINGLE_CASE_LIMIT) } else { (n.log2() - 0.9).min(BASE64_LIMIT) };
    let letter_digit_switches = run.windows(2).filter(|w| w[0].is_ascii_digit() != w[1].is_ascii_digit()).count();
    entropy > limit && (run.len() >= 64 || letter_digit_switches >= 3 || entropy > limit + 0.35)
}

// ------------------------------------------------------------------------------------------
// URL credentials

fn is_scheme_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-')
}

/// Where the authority of a URL ends in running text. `'`, `,`, `;`, `?`, `#` may be part of a
/// raw password and do not end it.
fn ends_authority(c: u8) -> bool {
    c.is_ascii_whitespace() || matches!(c, b'/' | b'"' | b'<' | b'>' | b'`')
}

/// Byte ranges of the password of every `scheme://user:password@host` in `text`, in order and
/// disjoint. The userinfo ends at the last `@` before the path, so a raw `@` in the password is
/// kept in it; the password runs from the first `:` of the userinfo, so it may contain `:`.
fn url_password_ranges(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut ranges = Vec::new();
    for (i, _) in text.match_indices("://") {
        // The scheme: walking back stops at the ':' or '/' of any earlier "://" (linear).
        let mut s = i;
        while s > 0 && is_scheme_byte(b[s - 1]) {
            s -= 1;
        }
        if s == i || !b[s].is_ascii_alphabetic() {
            continue;
        }
        let start = i + 3;
        // Ends at the next "://" at the latest, since that holds a '/' (linear).
        let end = b[start..].iter().position(|&c| ends_authority(c)).map_or(b.len(), |p| start + p);
        let authority = &b[start..end];
        let Some(at) = authority.iter().rposition(|&c| c == b'@') else { continue };
        let Some(colon) = authority[..at].iter().position(|&c| c == b':') else { continue };
        // `host?q=a:b@c` and `[::1]...` are not userinfo.
        if authority[..colon].iter().any(|&c| matches!(c, b'?' | b'#' | b'[')) {
            continue;
        }
        let password = &authority[colon + 1..at];
        if password.is_empty() {
            continue;
        }
        // `host:8080?next=a@b`: a port, then a query holding an '@'.
        if let Some(q) = password.iter().position(|&c| c == b'?' || c == b'#')
            && password[..q].iter().all(u8::is_ascii_digit)
        {
            continue;
        }
        ranges.push((start + colon + 1, start + at));
    }
    ranges
}

/// `text` with the password of every `scheme://user:password@host` replaced by `****`, keeping
/// the scheme, user and host (`postgres://app:****@db/app`, `redis://:****@host:6379`).
/// Borrowed when there is nothing to mask.
pub fn mask_url_credentials(text: &str) -> Cow<'_, str> {
    let ranges = url_password_ranges(text);
    if ranges.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in ranges {
        out.push_str(&text[last..start]);
        out.push_str("****");
        last = end;
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// The password of every `scheme://user:password@host` in `text`, as written (still
/// percent-encoded if it was), for the caller's list of strings to mask. Empty passwords are
/// left out; a caller that masks substrings everywhere may want to skip very short ones.
pub fn url_passwords(text: &str) -> Vec<&str> {
    url_password_ranges(text).into_iter().map(|(start, end)| &text[start..end]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret_name(name: &str) -> bool {
        by_name(name).is_some()
    }

    /// A fake HS256 JWT with the given JSON header and payload.
    fn jwt(header: &str, payload: &str) -> String {
        fn enc(bytes: &[u8]) -> String {
            const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
                for k in 0..=chunk.len() {
                    out.push(char::from(A[((n >> (18 - 6 * k)) & 63) as usize]));
                }
            }
            out
        }
        format!("{}.{}.{}", enc(header.as_bytes()), enc(payload.as_bytes()), "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
    }

    /// xorshift64*: deterministic pseudo-random strings without external crates.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn string(&mut self, alphabet: &[u8], len: usize) -> String {
            (0..len).map(|_| char::from(alphabet[(self.next() % alphabet.len() as u64) as usize])).collect()
        }
    }
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const LOWER36: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    const HEX: &[u8] = b"0123456789abcdef";

    #[test]
    fn words_split_at_separators_and_case_changes() {
        // (name, its words); every disagreement is listed, not just the first.
        let cases: [(&str, &[&str]); 17] = [
            ("DB_PASS", &["DB", "PASS"]),
            ("dbPassword", &["DB", "PASSWORD"]),
            ("APIKey", &["API", "KEY"]),
            ("clientSecret", &["CLIENT", "SECRET"]),
            ("HTTPSProxy", &["HTTPS", "PROXY"]),
            ("S3Bucket", &["S3", "BUCKET"]),
            ("N8N_SMTP_PASS", &["N8N", "SMTP", "PASS"]),
            ("N8NKey", &["N8N", "KEY"]),
            ("auth2Token", &["AUTH2", "TOKEN"]),
            ("base64Key", &["BASE64", "KEY"]),
            ("_APP_OPENSSL_KEY_V1", &["APP", "OPENSSL", "KEY", "V1"]),
            ("my.app-name__x", &["MY", "APP", "NAME", "X"]),
            ("2FA_CODE", &["2FA", "CODE"]),
            ("", &[]),
            ("__--..", &[]),
            ("straße_Passwort", &["STRASSE", "PASSWORT"]),
            ("clé€secret", &["CLÉ", "SECRET"]),
        ];
        let wrong: Vec<String> = cases
            .into_iter()
            .filter(|(name, words)| name_words(name) != *words)
            .map(|(name, words)| format!("{name}: {:?}, want {words:?}", name_words(name)))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn secret_names() {
        let wrong: Vec<_> = [
            "DB_PASS",
            "ANON_KEY",
            "VAULT_ENC_KEY",
            "APIKEY",
            "SECRET_KEY_BASE",
            "SERVICE_ROLE_KEY",
            "PG_META_CRYPTO_KEY",
            "ES_PASS",
            "SMTP_PASS",
            "OTP_SECRET",
            "GITHUB_TOKEN",
            "clientSecret",
            "dbPassword",
            "APIKey",
            "POSTGRES_PASSWORD",
            "DB_PASSWD",
            "MYSQL_PWD",
            "GPG_PASSPHRASE",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "AWS_CREDENTIAL",
            "PASSWORD_SALT",
            "VAPID_PRIVATE_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "MONKEY",
            "KEY",
            "dbpassword",
            "APITOKEN",
            "_APP_OPENSSL_KEY_V1",
            "SECRETKEY",
            "TOTP_VAULT_KEY",
            "LOGFLARE_PUBLIC_ACCESS_TOKEN",
            "NEXT_PUBLIC_SUPABASE_SECRET",
            "SESSION_KEY",
            "N8N_SSL_KEY",
        ]
        .into_iter()
        .filter(|name| !secret_name(name))
        .collect();
        assert!(wrong.is_empty(), "these names should be secret by name: {wrong:?}");
        assert_eq!(by_name("DB_PASS").as_deref(), Some("PASS"));
        assert_eq!(by_name("APIKey").as_deref(), Some("KEY"));
        assert_eq!(by_name("SECRET_KEY_BASE").as_deref(), Some("SECRET"));
        assert_eq!(by_name("stripeApiKey").as_deref(), Some("KEY"));
        assert_eq!(by_name("MY_CLIENTSECRET").as_deref(), Some("CLIENTSECRET"));
    }

    #[test]
    fn plain_names() {
        let wrong: Vec<_> = [
            "AWS_ACCESS_KEY_ID",
            "VAPID_PUBLIC_KEY",
            "DB_HOST",
            "PORT",
            "KEYCLOAK_URL",
            "PASSENGER_COUNT",
            "BYPASS_CACHE",
            "COMPASS_URL",
            "NEXT_PUBLIC_ZENDESK_KEY",
            "STRIPE_PUBLISHABLE_KEY",
            "SSH_PUBKEY",
            "RECAPTCHA_SITE_KEY",
            "API_KEY_PREFIX",
            "AWS_CLOUDFRONT_KEY_PAIR_ID",
            "OIDC_TOKEN_URI",
            "DB_PASSWORD_FILE",
            "MIN_PASSWORD_LENGTH",
            "JWT_EXPIRY",
            "TOKEN_TTL",
            "KMS_KEY_ARN",
            "SECRET_NAME",
            "KEY_VAULT_URL",
            "MAX_TOKENS",
            "SMTP_AUTHENTICATION",
            "FUNCTIONS_VERIFY_JWT",
            "",
            "____",
            "SALTSTACK_MASTER",
            "ÉTÉ",
        ]
        .into_iter()
        .filter(|name| secret_name(name))
        .collect();
        assert!(wrong.is_empty(), "these names should be plain by name: {wrong:?}");
    }

    #[test]
    fn jwt_shape() {
        let token = jwt(r#"{"alg":"HS256","typ":"JWT"}"#, r#"{"role":"anon","iss":"supabase"}"#);
        assert_eq!(by_value(&token), Some(Shape::Jwt));
        assert_eq!(by_value(&format!("Bearer {token}")), Some(Shape::Jwt));
        // Unsecured JWT: empty signature.
        let (head, _) = token.rsplit_once('.').unwrap();
        assert_eq!(by_value(&format!("{head}.")), Some(Shape::Jwt));
        // Supabase's spaced payload, as in its docker/.env.example.
        let spaced = jwt(r#"{"alg":"HS256","typ":"JWT"}"#, "{  \n    \"role\": \"anon\"\n}");
        assert_eq!(by_value(&spaced), Some(Shape::Jwt));
        // A header without "alg", a header that is not JSON, two parts, four parts.
        let no_alg = jwt(r#"{"typ":"JWT","kid":"12345678901234567890"}"#, r#"{"a":1}"#);
        assert_ne!(by_value(&no_alg), Some(Shape::Jwt));
        assert_ne!(by_value("eyJub3QganNvbg.eyJhIjoxfQ.sig"), Some(Shape::Jwt));
        assert_eq!(by_value("eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ"), None);
        assert_ne!(by_value(&format!("{token}.extra")), Some(Shape::Jwt));
        assert_eq!(by_value("eyJ"), None);
        assert_eq!(by_value("eyJ..."), None);
        assert_eq!(base64url_decode(b"eyJhIjoxfQ").as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(base64url_decode(b"eyJhIjoxfQ==").as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(base64url_decode(b"a"), None);
        assert_eq!(base64url_decode(b"ab$d"), None);
        assert_eq!(base64url_decode(b"").as_deref(), Some(&b""[..]));
    }

    #[test]
    fn pem_shape() {
        for label in ["RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED ", ""] {
            let pem = format!("-----BEGIN {label}PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END {label}PRIVATE KEY-----");
            assert_eq!(by_value(&pem), Some(Shape::PemPrivateKey), "{label}");
        }
        assert_eq!(by_value("-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF"), Some(Shape::PemPrivateKey));
        assert_eq!(by_value("-----BEGIN RSA PRIVATE KEY-----\\nMIIE\\n-----END"), Some(Shape::PemPrivateKey));
        assert_eq!(by_value("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----"), Some(Shape::PemPrivateKey));
        assert_eq!(by_value("PuTTY-User-Key-File-2: ssh-rsa"), Some(Shape::PemPrivateKey));
        // Public material is plain, even with a long random-looking body.
        let body = Rng(7).string(B64, 256);
        assert_eq!(by_value(&format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----")), None);
        assert_eq!(by_value(&format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----")), None);
        assert_eq!(by_value(&format!("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5{body} me@host")), None);
        assert_eq!(by_value("-----BEGIN "), None);
        assert_eq!(by_value("-----BEGIN é PRIVATE KEY-----"), None);
    }

    #[test]
    fn vendor_tokens() {
        let mut r = Rng(42);
        let cases = [
            (format!("ghp_{}", r.string(ALNUM, 36)), "GitHub personal access token (ghp_)"),
            (format!("github_pat_{}", r.string(ALNUM, 82)), "GitHub fine-grained token (github_pat_)"),
            (format!("glpat-{}", r.string(ALNUM, 20)), "GitLab personal access token (glpat-)"),
            (format!("xoxb-1234567890123-1234567890123-{}", r.string(ALNUM, 24)), "Slack bot token (xoxb-)"),
            (format!("xoxp-1234567890-1234567890-1234567890-{}", r.string(HEX, 32)), "Slack user token (xoxp-)"),
            (format!("xapp-1-A0123456789-1234567890123-{}", r.string(HEX, 64)), "Slack app-level token (xapp-)"),
            (format!("sk_live_{}", r.string(ALNUM, 99)), "Stripe secret key (sk_live_)"),
            (format!("sk_test_{}", r.string(ALNUM, 24)), "Stripe test secret key (sk_test_)"),
            (format!("rk_live_{}", r.string(ALNUM, 24)), "Stripe restricted key (rk_live_)"),
            (format!("sk-proj-{}T3BlbkFJ{}", r.string(B64URL, 74), r.string(B64URL, 74)), "OpenAI project API key (sk-proj-)"),
            (format!("sk-{}T3BlbkFJ{}", r.string(ALNUM, 20), r.string(ALNUM, 20)), "API secret key (sk-)"),
            (format!("sk-ant-api03-{}AA", r.string(B64URL, 93)), "Anthropic API key (sk-ant-)"),
            (format!("SG.{}.{}", r.string(B64URL, 22), r.string(B64URL, 43)), "SendGrid API key (SG.)"),
            (format!("npm_{}", r.string(ALNUM, 36)), "npm access token (npm_)"),
            (format!("pypi-AgEIcHlwaS5vcmc{}", r.string(B64URL, 120)), "PyPI upload token (pypi-)"),
            (format!("hf_{}", r.string(&ALNUM[..52], 34)), "Hugging Face access token (hf_)"),
            (format!("AIza{}", r.string(B64URL, 35)), "Google API key (AIza)"),
            (format!("shpat_{}", r.string(HEX, 32)), "Shopify access token (shpat_)"),
            (format!("dop_v1_{}", r.string(HEX, 64)), "DigitalOcean personal access token (dop_v1_)"),
            (format!("https://hooks.slack.com/services/T{}/B{}/{}", r.string(ALNUM, 8), r.string(ALNUM, 10), r.string(ALNUM, 24)), "Slack webhook URL"),
            (format!("{}8Q~{}", r.string(ALNUM, 3), r.string(ALNUM, 34)), "Azure AD client secret"),
        ];
        for (token, what) in &cases {
            assert_eq!(by_value(token), Some(Shape::VendorToken(what)), "{token}");
            // Inside running text too, e.g. a header or a command line.
            assert!(by_value(&format!("Authorization: Bearer {token} ")).is_some(), "{token}");
        }
        // Too short, placeholders, and prefixes inside words.
        let wrong: Vec<_> = [
            "sk-",
            "sk-learn",
            "scikit-learn sk-learn",
            "task-0123456789abcdef0123456789abcdef-x",
            "ghp_short",
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "ghp_your_token_here",
            "xoxb-your-bot-token",
            "xoxb-xxxxxxxxxxxxxxxxxxxxxxxx",
            "sk_live_0000000000000000",
            "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "SG.example",
            "npm_install",
            "hf_hub_download",
            "AIzaSy",
            "dapi",
            "key-value",
            "sk-proj-xxxxxxxx",
        ]
        .into_iter()
        .filter(|plain| by_value(plain).is_some())
        .collect();
        assert!(wrong.is_empty(), "these values should be plain: {wrong:?}");
        // Identifiers are not secrets.
        assert_eq!(by_value("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(by_value("ASIAY34FZKBOKMUTVV7A"), None);
    }

    #[test]
    fn url_passwords_as_shape() {
        let wrong: Vec<_> = [
            "postgres://app:pw@db/app",
            "redis://:s3cret@host:6379",
            "amqp://u:p@h",
            "mysql://root:p@ss:w0rd!@db:3306/x",
            "db=mariadb://user:password@mariadb:3306/appwrite",
            "postgresql+asyncpg://a:b%40c@h/d",
        ]
        .into_iter()
        .filter(|url| by_value(url) != Some(Shape::UrlPassword))
        .collect();
        assert!(wrong.is_empty(), "these URLs should be URL passwords: {wrong:?}");
        let wrong: Vec<_> = [
            "https://publickey@o0.ingest.sentry.io/0",
            "redis://redis:6379",
            "postgres://user@db/app",
            "postgresql://postgres:@localhost:5450/cal-saml",
            "http://localhost:8000",
            "https://example.com/@user",
            "http://host:8080?next=a@b",
            "http://[::1]:8080/x@y",
            "://a:b@c",
            "1x://a:b@c",
        ]
        .into_iter()
        .filter(|url| by_value(url).is_some())
        .collect();
        assert!(wrong.is_empty(), "these URLs should be plain: {wrong:?}");
    }

    #[test]
    fn high_entropy() {
        let mut r = Rng(99);
        let wrong: Vec<_> = [
            r.string(HEX, 32),
            r.string(HEX, 64),
            r.string(B64, 40),
            r.string(B64URL, 43),
            r.string(ALNUM, 32),
            r.string(LOWER36, 32),
            "UpNVntn3cDxHJpq99YMc1T1AQgQpc8kfYTuRgBiYa15BLrx8etQoXz3gZv1/u2oq".to_string(),
            format!("{}==", r.string(B64, 42)),
            format!("https://bucket.s3.amazonaws.com/f?X-Amz-Signature={}", r.string(HEX, 64)),
            // A 40-hex value is a secret by shape (a git commit id only by name: see `classify`).
            r.string(HEX, 40),
        ]
        .into_iter()
        .filter(|value| by_value(value) != Some(Shape::HighEntropy))
        .collect();
        assert!(wrong.is_empty(), "these values should be high-entropy: {wrong:?}");
        let wrong: Vec<_> = [
            "your-super-secret-and-long-postgres-password",
            "your-encryption-key-32-chars-min",
            "absolute_location_on_your_machine_where_you_want_to_store_the_backup",
            "MyCompanyProductionDatabase2024Backup",
            "mycompanyproductiondatabasebackup2024",
            "ThisIsSomeCamelCaseConfigurationValueForTheApp",
            "/var/lib/outline/data/some/deeper/path/here",
            "projects/my-gcp-project-123456/secrets/db-password/versions/latest",
            "550e8400-e29b-41d4-a716-446655440000",
            "ami-0123456789abcdef0",
            "arn:aws:iam::123456789012:role/service-role/AbCdEfGh1234567890IjKlMnOpQrStUvWx",
            "ghcr.io/getsentry/sentry@sha256:8d7f2b1e4c3a5f6e7d8c9b0a1f2e3d4c5b6a79808f7e6d5c4b3a29181f0e1d2c",
            "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC",
            "https://example.com/a8Kd93jfLq0PzX7mN2bV5cR1tY6uI4oE9wS3gH8jK2lZ?page=2",
            "20240101000000000000000000000001",
            "00000000000000000000000000000000",
            "0123456789",
            "short",
            "true",
            "3600",
            "America/New_York",
        ]
        .into_iter()
        .filter(|value| by_value(value).is_some())
        .collect();
        assert!(wrong.is_empty(), "these values should be plain: {wrong:?}");
    }

    /// Recall of the entropy rule on random keys of the lengths that matter.
    #[test]
    fn high_entropy_recall_on_random_keys() {
        let mut r = Rng(2026);
        for (alphabet, name) in [(B64, "base64"), (B64URL, "base64url"), (ALNUM, "alnum"), (LOWER36, "lower36"), (HEX, "hex")] {
            for len in [32, 36, 40, 44, 48, 64, 88] {
                let trials = 400;
                let hits = (0..trials).filter(|_| by_value(&r.string(alphabet, len)).is_some()).count();
                assert!(hits * 100 >= trials * 97, "{name} len {len}: {hits}/{trials}");
            }
        }
    }

    #[test]
    fn classify_order_and_overrides() {
        let token = format!("ghp_{}", Rng(5).string(ALNUM, 36));
        assert_eq!(classify("ANYTHING", Some("x"), Some(true)), Some(Reason::Schema));
        assert_eq!(classify("DB_PASSWORD", Some(&token), Some(false)), None);
        assert_eq!(classify("DB_PASSWORD", None, None), Some(Reason::NameWord("PASSWORD".into())));
        assert_eq!(classify("DB_PASSWORD", Some(""), None), Some(Reason::NameWord("PASSWORD".into())));
        assert_eq!(classify("SLACK_CHANNEL_HOOK", Some(&token), None), Some(Reason::Shape(Shape::VendorToken("GitHub personal access token (ghp_)"))));
        assert_eq!(classify("DB_HOST", Some("db"), None), None);
        assert_eq!(classify("DB_HOST", None, None), None);
        // Name context excuses high entropy only.
        let hex40 = Rng(8).string(HEX, 40);
        assert_eq!(classify("GIT_COMMIT", Some(&hex40), None), None);
        assert_eq!(classify("SOURCE_VERSION_SHA", Some(&hex40), None), None);
        assert_eq!(classify("BUILD_INFO", Some(&hex40), None), Some(Reason::Shape(Shape::HighEntropy)));
        let vapid = format!("B{}", Rng(9).string(B64URL, 86));
        assert_eq!(classify("VAPID_PUBLIC_KEY", Some(&vapid), None), None);
        assert_eq!(classify("WEB_PUSH", Some(&vapid), None), Some(Reason::Shape(Shape::HighEntropy)));
        assert_eq!(classify("TWILIO_SID", Some(&format!("AC{}", Rng(10).string(HEX, 32))), None), None);
        assert_eq!(classify("GIT_COMMIT", Some(&token), None), Some(Reason::Shape(Shape::VendorToken("GitHub personal access token (ghp_)"))));
        let anon = jwt(r#"{"alg":"HS256","typ":"JWT"}"#, r#"{"role":"anon"}"#);
        assert_eq!(classify("NEXT_PUBLIC_SUPABASE_ANON_KEY", Some(&anon), None), Some(Reason::Shape(Shape::Jwt)));
    }

    #[test]
    fn reasons_display() {
        assert_eq!(Reason::Schema.to_string(), "schema writeOnly");
        assert_eq!(Reason::NameWord("PASS".into()).to_string(), "name word PASS");
        assert_eq!(Reason::Shape(Shape::Jwt).to_string(), "value shape: JWT");
        assert_eq!(Reason::Shape(Shape::PemPrivateKey).to_string(), "value shape: PEM private key");
        assert_eq!(Reason::Shape(Shape::VendorToken("GitHub personal access token (ghp_)")).to_string(), "value shape: GitHub personal access token (ghp_)");
        assert_eq!(Reason::Shape(Shape::UrlPassword).to_string(), "value shape: URL with a password");
        assert_eq!(Reason::Shape(Shape::HighEntropy).to_string(), "value shape: high-entropy string");
    }

    #[test]
    fn masks_url_credentials() {
        let m = |s: &str| mask_url_credentials(s).into_owned();
        assert_eq!(m("postgres://app:pw@db/app"), "postgres://app:****@db/app");
        assert_eq!(m("redis://:pw@host:6379"), "redis://:****@host:6379");
        assert_eq!(m("amqp://u:p@h"), "amqp://u:****@h");
        assert_eq!(m("x mysql://root:a:b%2F!c@db:3306/x y"), "x mysql://root:****@db:3306/x y");
        assert_eq!(m("mongodb://u:p@ss@h1,h2/db"), "mongodb://u:****@h1,h2/db");
        assert_eq!(m("jdbc:postgresql://u:pw@h/db"), "jdbc:postgresql://u:****@h/db");
        assert_eq!(
            m("DATABASE_URL=postgres://a:one@h/d, REDIS_URL=redis://:two@r:6379 and amqp://u:three@q"),
            "DATABASE_URL=postgres://a:****@h/d, REDIS_URL=redis://:****@r:6379 and amqp://u:****@q"
        );
        assert_eq!(m(r#"{"url":"postgres://a:p@h/d","b":"x@y"}"#), r#"{"url":"postgres://a:****@h/d","b":"x@y"}"#);
        assert_eq!(m("redis://:pa#ss?@host"), "redis://:****@host");
        assert_eq!(m("«postgres://ü:pässwörd@hôst/d» €"), "«postgres://ü:****@hôst/d» €");
        for plain in [
            "postgres://user@db/app",
            "https://o1.ingest.sentry.io/1",
            "http://host:8080?next=a@b",
            "https://medium.com/@user",
            "mailto:a@b.c",
            "://:x@y",
            "no urls here",
            "",
            "a://",
            "é://é:é@é",
            "http://[::1]:80/a@b",
            "https://host?q=a:b@c",
            "postgres://u:@h/d",
        ] {
            let masked = mask_url_credentials(plain);
            assert!(matches!(masked, Cow::Borrowed(_)), "{plain} -> {masked}");
        }
    }

    #[test]
    fn lists_url_passwords() {
        assert_eq!(url_passwords("postgres://app:pw@db/app redis://:s%40c:r@h amqp://u@h sms://AC1:tok@twilio"), ["pw", "s%40c:r", "tok"]);
        assert!(url_passwords("https://example.com").is_empty());
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let inputs = [
            "",
            " ",
            "é",
            "://",
            ":@",
            "@:",
            "a://:@",
            "a://:@/",
            "eyJ.",
            "eyJ..",
            "eyJé.eyJ.",
            "-----BEGIN",
            "-----BEGIN PRIVATE KEY",
            "sk-",
            "ghp_",
            "xoxb-",
            "\u{0}\u{7f}\u{80}",
            "€€€://€:€@€",
            "a://b:c@",
            "https://hooks.slack.com/services/",
            "v1.0-",
            "ops_eyJ",
            "pypi-AgEIcHlwaS5vcmc",
            "𝕊𝕂-𝕡𝕣𝕠𝕛",
            "12345678-1234-1234-1234-1234567890ab",
            "abcQ~",
            "abc8Q~é",
            "ami-",
            "sha256:",
            "arn:",
        ];
        for s in inputs {
            let _ = by_value(s);
            let _ = by_name(s);
            let _ = classify(s, Some(s), None);
            let _ = mask_url_credentials(s);
            let _ = url_passwords(s);
        }
        // Multi-byte characters in every position of some tricky strings.
        for base in ["postgres://u:p@h/d", "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ.c2ln", "-----BEGIN RSA PRIVATE KEY-----"] {
            for (i, _) in base.char_indices() {
                let s = format!("{}ß€𝕊{}", &base[..i], &base[i..]);
                let _ = by_value(&s);
                let _ = mask_url_credentials(&s);
            }
        }
    }

    /// Adversarial megabyte inputs finish quickly (a quadratic scan would not).
    #[test]
    fn linear_on_large_inputs() {
        let started = std::time::Instant::now();
        for unit in [
            "eyJ",
            "eyJa.",
            "sk-",
            "sk-a",
            "ghp_a",
            "://",
            "a://b:",
            ":@",
            "@",
            "-----BEGIN ",
            "-----BEGIN A",
            "pypi-AgEIcHlwaS5vcmc",
            "xoxb-1",
            "https://hooks.slack.com/services/",
            "a",
            "é",
            "Q~",
        ] {
            let big = unit.repeat(1_000_000 / unit.len());
            let _ = by_value(&big);
            let _ = mask_url_credentials(&big);
            let _ = url_passwords(&big);
            let _ = by_name(&big);
        }
        assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
    }

    /// The corpus of names from public sample env files with synthetic values.
    #[test]
    fn corpus() {
        let tsv = include_str!("../../tests/fixtures/secrets-corpus.tsv");
        let (mut rows, mut missed, mut false_positives) = (0, Vec::new(), Vec::new());
        for line in tsv.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 4, "{line}");
            let (name, value, truth) = (fields[0], fields[1], fields[2]);
            assert!(fields[3].starts_with("https://github.com/"), "{line}");
            rows += 1;
            let got = classify(name, Some(value), None);
            match (truth, &got) {
                ("secret", None) => missed.push(name),
                ("plain", Some(reason)) => false_positives.push(format!("{name} ({reason})")),
                ("secret" | "plain", _) => {}
                _ => panic!("bad truth column: {line}"),
            }
        }
        eprintln!("corpus: {rows} rows, {} false positives: {false_positives:?}", false_positives.len());
        assert!(rows >= 70, "{rows} rows");
        assert!(missed.is_empty(), "secrets classified plain: {missed:?}");
        assert!(false_positives.len() <= 2, "false positives: {false_positives:?}");
    }
}
