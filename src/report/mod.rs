//! The one findings model every output format renders: findings, what could not be verified,
//! what was checked, the verdict and the fingerprint. Renderers never see a secret value:
//! [`Report::redact`] runs before any of them, and source texts are masked when loaded.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use serde::Serialize;

use crate::rules::{Rule, Severity};

/// A place in a file the user wrote (an env file, preflight.toml).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub path: String,
    pub line: u32,
    pub column: u32,
    /// Byte range in the file, for underlining in the human report.
    #[serde(skip)]
    pub span: Option<(usize, usize)>,
}

/// The text of a file findings point into, with secret values already masked.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: std::sync::Arc<str>,
}

/// One problem found.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub key: Option<String>,
    pub region: Option<String>,
    pub message: String,
    pub help: String,
    pub location: Option<Location>,
    /// What the finding was reached through: "Auto Scaling group web, launch template web-lt
    /// version 3" for a resource named by the template data a group launches.
    pub via: Option<String>,
}

impl Finding {
    pub fn new(rule: &'static Rule, message: impl Into<String>) -> Finding {
        Finding { rule, severity: rule.severity, key: None, region: None, message: message.into(), help: String::new(), location: None, via: None }
    }
    pub fn via(mut self, via: impl Into<String>) -> Self {
        self.via = Some(via.into());
        self
    }
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = help.into();
        self
    }
    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }
}

/// A check that could not complete (cloud unreachable, timeout, denied, --offline for values).
#[derive(Debug, Clone, Serialize)]
pub struct Unverified {
    pub check: String,
    pub region: Option<String>,
    pub reason: String,
}

/// How many things of each kind were checked.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Checked {
    pub variables: usize,
    pub images: usize,
    pub security_groups: usize,
    pub subnets: usize,
    pub vpcs: usize,
    pub instance_types: usize,
    pub launch_templates: usize,
    pub key_pairs: usize,
    pub parameters: usize,
    pub secrets: usize,
    pub groups: usize,
    pub load_balancers: usize,
    pub target_groups: usize,
    pub dns_records: usize,
    pub artifacts: usize,
}

/// The output formats of `check --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Junit,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Blocked,
    Unverified,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Blocked => "blocked",
            Verdict::Unverified => "unverified",
        }
    }
}

/// Everything one `check` found, ready to render.
#[derive(Debug, Clone)]
pub struct Report {
    pub environment: String,
    pub fingerprint: String,
    pub findings: Vec<Finding>,
    pub unverified: Vec<Unverified>,
    pub checked: Checked,
    /// Masked texts of the files findings point into.
    pub sources: Vec<SourceFile>,
    /// Lines for the human report only (e.g. "live checks skipped: --offline").
    pub notes: Vec<String>,
    /// What was checked, by family (`env`: each variable; `ami`: each variable naming images;
    /// ...): the JUnit report shows one case each, so a passing gate shows green cases.
    pub cases: Vec<(crate::rules::Family, String)>,
    /// How findings about the config file name it (`preflight.toml`, or the `--config` file's
    /// name): formats that want a file for every result point there.
    pub config_file: String,
    /// The AWS account the live checks ran in (STS GetCallerIdentity); `None` offline.
    pub account: Option<String>,
}

impl Report {
    pub fn verdict(&self) -> Verdict {
        if self.findings.iter().any(|f| f.severity == Severity::Error) {
            Verdict::Blocked
        } else if !self.unverified.is_empty() {
            Verdict::Unverified
        } else {
            Verdict::Pass
        }
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }

    /// The report's location for a finding, or preflight.toml when it has none (formats such
    /// as SARIF and GitHub annotations want a file for every result).
    pub fn location_or_config(&self, f: &Finding) -> Location {
        let path = if self.config_file.is_empty() { crate::config::FILE_NAME.to_string() } else { self.config_file.clone() };
        f.location.clone().unwrap_or(Location { path, line: 1, column: 1, span: None })
    }

    /// Orders findings by file position, then rule, so every format lists them alike.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            let la = a.location.as_ref().map(|l| (l.path.clone(), l.line, l.column));
            let lb = b.location.as_ref().map(|l| (l.path.clone(), l.line, l.column));
            (la.is_none(), la, a.rule.id, &a.key, &a.region, &a.message).cmp(&(lb.is_none(), lb, b.rule.id, &b.key, &b.region, &b.message))
        });
        // Only true repeats go: the same finding at the same place (two bad lines with the
        // same message are two findings).
        self.findings.dedup_by(|a, b| {
            let at = |f: &Finding| f.location.as_ref().map(|l| (l.path.clone(), l.line, l.column));
            a.rule == b.rule && a.key == b.key && a.region == b.region && a.message == b.message && at(a) == at(b)
        });
    }

    /// Masks every secret value, in every form (escaped, on another line of a source, a URL's
    /// password), in every string of the report and in the source texts snippets show.
    /// Messages are built not to quote secrets (`secrets::SecretSet::show`, keyword-only
    /// validation messages); this makes the rest of the report agree with them.
    pub fn redact(&mut self, redactor: &crate::secrets::Redactor) {
        for f in &mut self.findings {
            redactor.scrub(&mut f.message);
            redactor.scrub(&mut f.help);
            if let Some(v) = &mut f.via {
                redactor.scrub(v);
            }
        }
        for u in &mut self.unverified {
            redactor.scrub(&mut u.reason);
            redactor.scrub(&mut u.check);
        }
        for n in &mut self.notes {
            redactor.scrub(n);
        }
        for s in &mut self.sources {
            s.text = std::sync::Arc::from(redactor.in_place(&s.text));
        }
    }
}

impl Report {
    /// Keeps at most `max` findings of one rule per file (in sorted order), then one finding
    /// saying how many more: a file of a million bad lines gives a readable report, in time
    /// and memory linear in the findings kept. (A single extra finding is kept as it is.)
    pub fn cap(&mut self, max: usize) {
        type Key = (&'static str, Option<String>);
        let mut counts: std::collections::HashMap<Key, usize> = std::collections::HashMap::new();
        let mut extra: std::collections::BTreeMap<Key, Vec<Finding>> = std::collections::BTreeMap::new();
        let mut kept = Vec::with_capacity(self.findings.len().min(4096));
        for f in self.findings.drain(..) {
            let key: Key = (f.rule.id, f.location.as_ref().map(|l| l.path.clone()));
            let n = counts.entry(key.clone()).or_default();
            *n += 1;
            if *n <= max {
                kept.push(f);
            } else {
                let list = extra.entry(key).or_default();
                if list.len() < 2 {
                    list.push(f);
                } else {
                    list.truncate(1);
                    list.push(f);
                }
            }
        }
        for ((id, path), list) in extra {
            let n = counts.get(&(id, path.clone())).copied().unwrap_or(0) - max;
            let mut list = list.into_iter();
            let Some(first) = list.next() else { continue };
            if n == 1 {
                kept.push(first);
                continue;
            }
            let in_file = path.map(|p| format!(" in {p}")).unwrap_or_default();
            kept.push(
                Finding::new(first.rule, format!("and {n} more `{id}` findings{in_file}"))
                    .help(format!("only the first {max} findings of a rule are listed per file; fix those and run again"))
                    .at(first.location),
            );
        }
        self.findings = kept;
    }
}

/// Masks byte ranges of a text (secret values), keeping line breaks so positions still hold.
pub fn mask_ranges(text: &str, ranges: &[(usize, usize)]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for &(start, end) in ranges {
        let end = end.min(bytes.len());
        for b in bytes.iter_mut().take(end).skip(start) {
            if *b != b'\n' && *b != b'\r' {
                *b = b'*';
            }
        }
    }
    // Masking whole UTF-8 sequences with ASCII keeps the text valid; a range that split a
    // character would not, so fall back to a lossy conversion rather than fail.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
