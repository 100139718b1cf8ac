//! `$ref`s and secrecy. Two jobs share one loader so they cannot disagree:
//! - the files a schema's `$ref`s name are read through [`Files`], which keeps them inside the
//!   repository (a `file:///etc/passwd` reference is a tool error, not a read), records them as
//!   inputs, and is also jsonschema's retriever;
//! - [`secret_scan`] finds every variable a `writeOnly: true` applies to, wherever it stands:
//!   under `anyOf`/`oneOf`/`allOf`/`not`, `if`/`then`/`else`, `dependentSchemas`,
//!   `patternProperties`, `additionalProperties`, behind a `$ref` to this or another file, and at
//!   any depth inside the variable's own schema (a secret object's keys are as secret as its
//!   values).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use serde_json::Value;

/// Largest referenced schema file read.
const MAX_REF_BYTES: u64 = 16 << 20;
/// How deep the scan follows nesting and references; serde_json already caps one document's
/// nesting at 128, so this only bounds chains of references.
const MAX_DEPTH: usize = 512;

const PATH_CHARS: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'%').add(b'<').add(b'>').add(b'?').add(b'`').add(b'{').add(b'}');

#[derive(Default)]
struct Inner {
    read: Vec<PathBuf>,
    cache: HashMap<PathBuf, Arc<Value>>,
}

/// The schema file's place and the repository root; shared by the scan and the retriever.
#[derive(Clone, Default)]
pub struct Files {
    /// The schema file (canonical), `None` for a schema given as text.
    base: Option<PathBuf>,
    root: Option<PathBuf>,
    inner: Arc<Mutex<Inner>>,
}

impl Files {
    pub fn new(schema: &Path, root: &Path) -> Files {
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let files = Files { base: Some(schema.to_path_buf()), root: Some(root), inner: Arc::default() };
        files.inner.lock().expect("fresh lock").read.push(schema.to_path_buf());
        files
    }

    /// The base URI relative `$ref`s resolve against: the schema file itself.
    pub fn base_uri(&self) -> Option<String> {
        self.base.as_ref().map(|b| format!("file://{}", utf8_percent_encode(&b.to_string_lossy(), PATH_CHARS)))
    }

    /// Every file read so far (the schema first).
    pub fn read(&self) -> Vec<PathBuf> {
        self.inner.lock().map(|i| i.read.clone()).unwrap_or_default()
    }

    pub fn retriever(&self) -> Retriever {
        Retriever(self.clone())
    }

    /// Loads a referenced file by absolute path, confined to the repository.
    fn load(&self, path: &Path) -> Result<Arc<Value>, String> {
        let Some(root) = &self.root else {
            return Err(format!("`$ref` to {}: a schema given as text cannot reference files", path.display()));
        };
        let real = std::fs::canonicalize(path).map_err(|e| format!("`$ref` to {}: {e}", path.display()))?;
        if !real.starts_with(root) {
            return Err(format!("`$ref` to {} leaves the repository; a schema may only reference files inside it", path.display()));
        }
        if let Some(v) = self.inner.lock().ok().and_then(|i| i.cache.get(&real).cloned()) {
            return Ok(v);
        }
        let text = crate::diag::read_text_file(&real, MAX_REF_BYTES, "referenced schema").map_err(|e| e.message().to_string())?;
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("`$ref` to {}: not valid JSON: {e}", path.display()))?;
        let value = Arc::new(value);
        if let Ok(mut i) = self.inner.lock() {
            i.read.push(real.clone());
            i.cache.insert(real, value.clone());
        }
        Ok(value)
    }

    /// The document and fragment a `$ref` names, seen from the document at `from`. `Ok(None)`
    /// for references this loader does not follow (same-document ones are handled by the
    /// caller; other schemes are left to jsonschema, which refuses them).
    fn target(&self, from: Option<&Path>, reference: &str) -> Result<Option<(PathBuf, Arc<Value>, String)>, String> {
        let (url, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        if url.is_empty() {
            return Ok(None);
        }
        let path = if let Some(rest) = url.strip_prefix("file://") {
            PathBuf::from(percent_decode_str(rest.strip_prefix("localhost").unwrap_or(rest)).decode_utf8_lossy().into_owned())
        } else if url.contains(':') {
            return Ok(None);
        } else {
            let decoded = percent_decode_str(url).decode_utf8_lossy().into_owned();
            match from.or(self.base.as_deref()) {
                Some(doc) => doc.parent().unwrap_or(Path::new("/")).join(decoded),
                None => return Ok(None),
            }
        };
        let doc = self.load(&path)?;
        let real = std::fs::canonicalize(&path).unwrap_or(path);
        Ok(Some((real, doc, fragment.to_string())))
    }
}

/// jsonschema's retriever: only files inside the repository, through [`Files`].
pub struct Retriever(Files);

impl jsonschema::Retrieve for Retriever {
    fn retrieve(&self, uri: &jsonschema::Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.scheme().as_str() != "file" {
            return Err(format!("{}: only files inside the repository can be referenced", uri.as_str()).into());
        }
        let path = percent_decode_str(uri.path().as_str()).decode_utf8_lossy().into_owned();
        Ok((*self.0.load(Path::new(&path))?).clone())
    }
}

/// The value a JSON pointer fragment (`/$defs/a`, percent-encoded or not) names.
fn pointer<'a>(doc: &'a Value, fragment: &str) -> Option<&'a Value> {
    if fragment.is_empty() {
        return Some(doc);
    }
    doc.pointer(&percent_decode_str(fragment).decode_utf8_lossy())
}

/// What [`secret_scan`] found.
#[derive(Debug, Default)]
pub struct Deep {
    /// Variable names some `properties` entry marks secret.
    pub names: BTreeSet<String>,
    /// `patternProperties` patterns marked secret.
    pub patterns: BTreeSet<String>,
    pub pattern_regexes: Vec<regex::Regex>,
    /// `additionalProperties`/`unevaluatedProperties` marked secret: every other variable is.
    pub additional: bool,
}

/// Where a `$ref` leads: the document's path, the document, the fragment.
type Target = (Option<PathBuf>, Arc<Value>, String);

struct Scan<'f> {
    files: &'f Files,
    memo: HashMap<(Option<PathBuf>, String), bool>,
    active: HashSet<(Option<PathBuf>, String)>,
    visited_roots: HashSet<(Option<PathBuf>, String)>,
}

impl Scan<'_> {
    /// Follows a `$ref` from `doc` (the document at `path`) to (its path, its document, the node).
    fn follow(&self, path: &Option<PathBuf>, doc: &Arc<Value>, reference: &str) -> Result<Option<Target>, String> {
        match self.files.target(path.as_deref(), reference)? {
            Some((p, d, frag)) => Ok(Some((Some(p), d, frag))),
            None if reference.starts_with('#') => Ok(Some((path.clone(), doc.clone(), reference[1..].to_string()))),
            None => Ok(None),
        }
    }

    /// True when `writeOnly: true` stands anywhere in `node` or what its `$ref`s reach.
    fn has_write_only(&mut self, path: &Option<PathBuf>, doc: &Arc<Value>, node: &Value, depth: usize) -> Result<bool, String> {
        if depth > MAX_DEPTH {
            return Ok(false);
        }
        match node {
            Value::Object(map) => {
                if map.get("writeOnly") == Some(&Value::Bool(true)) {
                    return Ok(true);
                }
                for (k, v) in map {
                    if k == "$ref" {
                        if let Value::String(r) = v
                            && self.ref_has_write_only(path, doc, r, depth)?
                        {
                            return Ok(true);
                        }
                    } else if k != "const" && k != "enum" && k != "default" && k != "examples" && self.has_write_only(path, doc, v, depth + 1)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Value::Array(items) => {
                for v in items {
                    if self.has_write_only(path, doc, v, depth + 1)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            _ => Ok(false),
        }
    }

    fn ref_has_write_only(&mut self, path: &Option<PathBuf>, doc: &Arc<Value>, reference: &str, depth: usize) -> Result<bool, String> {
        let Some((p, d, frag)) = self.follow(path, doc, reference)? else { return Ok(false) };
        let key = (p.clone(), frag.clone());
        if let Some(v) = self.memo.get(&key) {
            return Ok(*v);
        }
        if !self.active.insert(key.clone()) {
            return Ok(false);
        }
        let found = match pointer(&d, &frag) {
            Some(target) => {
                let target = target.clone();
                self.has_write_only(&p, &d, &target, depth + 1)?
            }
            None => false,
        };
        self.active.remove(&key);
        self.memo.insert(key, found);
        Ok(found)
    }

    /// Walks the subschemas that apply to the environment object itself, collecting which of
    /// their property entries carry `writeOnly`.
    fn collect(&mut self, path: &Option<PathBuf>, doc: &Arc<Value>, node: &Value, depth: usize, out: &mut Deep) -> Result<(), String> {
        let Value::Object(map) = node else { return Ok(()) };
        if depth > MAX_DEPTH {
            return Ok(());
        }
        if let Some(Value::Object(props)) = map.get("properties") {
            for (name, sub) in props {
                if self.has_write_only(path, doc, sub, depth + 1)? {
                    out.names.insert(name.clone());
                }
            }
        }
        if let Some(Value::Object(props)) = map.get("patternProperties") {
            for (pattern, sub) in props {
                if self.has_write_only(path, doc, sub, depth + 1)? && out.patterns.insert(pattern.clone()) {
                    match regex::Regex::new(pattern) {
                        Ok(re) => out.pattern_regexes.push(re),
                        // A pattern we cannot read still marks secrets: every variable not in
                        // `properties` may be one of them, so mask them all.
                        Err(_) => out.additional = true,
                    }
                }
            }
        }
        for key in ["additionalProperties", "unevaluatedProperties"] {
            if let Some(sub @ Value::Object(_)) = map.get(key)
                && self.has_write_only(path, doc, sub, depth + 1)?
            {
                out.additional = true;
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(items)) = map.get(key) {
                for sub in items {
                    self.collect(path, doc, sub, depth + 1, out)?;
                }
            }
        }
        for key in ["not", "if", "then", "else"] {
            if let Some(sub) = map.get(key) {
                self.collect(path, doc, sub, depth + 1, out)?;
            }
        }
        if let Some(Value::Object(deps)) = map.get("dependentSchemas") {
            for sub in deps.values() {
                self.collect(path, doc, sub, depth + 1, out)?;
            }
        }
        if let Some(Value::String(r)) = map.get("$ref")
            && let Some((p, d, frag)) = self.follow(path, doc, r)?
            && self.visited_roots.insert((p.clone(), frag.clone()))
            && let Some(target) = pointer(&d, &frag).cloned()
        {
            self.collect(&p, &d, &target, depth + 1, out)?;
        }
        Ok(())
    }
}

/// Finds every variable, pattern and catch-all that `writeOnly: true` applies to.
pub fn secret_scan(root: &Value, files: &Files) -> Result<Deep, String> {
    let mut scan = Scan { files, memo: HashMap::new(), active: HashSet::new(), visited_roots: HashSet::new() };
    let doc = Arc::new(root.clone());
    let mut out = Deep::default();
    let base = files.base.clone();
    scan.collect(&base, &doc, root, 0, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(schema: Value) -> Deep {
        secret_scan(&schema, &Files::default()).unwrap()
    }

    #[test]
    fn write_only_behind_every_construct() {
        let wo = json!({"type": "string", "writeOnly": true, "minLength": 50});
        let d = names(json!({
            "$defs": {"s": wo.clone()},
            "properties": {
                "ANY": {"anyOf": [wo.clone()]},
                "ONE": {"oneOf": [{"type": "integer"}, wo.clone()]},
                "NOT": {"not": {"not": wo.clone()}},
                "REF": {"$ref": "#/$defs/s"},
                "OBJ": {"type": "object", "properties": {"inner": wo.clone()}},
                "PLAIN": {"type": "string"}
            },
            "if": {"properties": {"MODE": {"const": "x"}}},
            "then": {"properties": {"IFTHEN": wo.clone()}},
            "else": {"properties": {"IFELSE": wo.clone()}},
            "dependentSchemas": {"X": {"properties": {"DEP": wo.clone()}}},
            "allOf": [{"anyOf": [{"properties": {"NESTED": wo.clone()}}]}],
            "patternProperties": {"^SEC_": wo.clone()}
        }));
        for n in ["ANY", "ONE", "NOT", "REF", "OBJ", "IFTHEN", "IFELSE", "DEP", "NESTED"] {
            assert!(d.names.contains(n), "{n}: {d:?}");
        }
        assert!(!d.names.contains("PLAIN") && !d.names.contains("MODE"));
        assert!(d.patterns.contains("^SEC_"));
        assert!(!d.additional);
        assert!(names(json!({"additionalProperties": {"anyOf": [wo]}})).additional);
    }

    #[test]
    fn reference_cycles_end() {
        let d = names(json!({
            "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"anyOf": [{"$ref": "#/$defs/a"}, {"writeOnly": true}]}},
            "properties": {"A": {"$ref": "#/$defs/a"}},
            "$ref": "#"
        }));
        assert!(d.names.contains("A"));
    }

    #[test]
    fn file_references_are_confined() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(root.join("defs.json"), r#"{"$defs": {"s": {"writeOnly": true}}}"#).unwrap();
        std::fs::write(dir.path().join("outside.json"), "{}").unwrap();
        let schema = root.join("env.schema.json");
        std::fs::write(&schema, "{}").unwrap();
        let files = Files::new(&schema, &root);
        let d = secret_scan(&json!({"properties": {"S": {"$ref": "defs.json#/$defs/s"}}}), &files).unwrap();
        assert!(d.names.contains("S"));
        assert_eq!(files.read().len(), 2);
        for r in ["../outside.json", "file:///etc/passwd", "/etc/passwd"] {
            let e = secret_scan(&json!({"properties": {"S": {"$ref": r}}}), &files).unwrap_err();
            assert!(e.contains("leaves the repository") || e.contains("No such file"), "{r}: {e}");
        }
    }
}
