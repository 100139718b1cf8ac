//! The environment schema: a JSON Schema whose properties are variable names, plus
//! preflight's keywords (`x-aws`, `x-parity`, `writeOnly`). This module loads it, reads the
//! per-variable metadata the checks need, and converts string values to typed JSON
//! (SPEC section 1) before validation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value};

use crate::diag::{ToolError, read_text_file};

mod refs;

const MAX_SCHEMA_BYTES: u64 = 16 << 20;

/// A cloud resource kind named by `x-aws`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AwsKind {
    Image,
    SecurityGroup,
    Subnet,
    Vpc,
    InstanceType,
    LaunchTemplate,
    KeyPair,
    Parameter,
    Secret,
    AutoScalingGroup,
    LoadBalancer,
    TargetGroup,
    DnsRecord,
}

/// Written as its `x-aws` name (`ec2:image`), in locks as in schemas.
impl serde::Serialize for AwsKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for AwsKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<AwsKind, D::Error> {
        let s = String::deserialize(d)?;
        AwsKind::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown x-aws kind `{s}`")))
    }
}

impl AwsKind {
    pub const ALL: [AwsKind; 13] = [
        AwsKind::Image,
        AwsKind::SecurityGroup,
        AwsKind::Subnet,
        AwsKind::Vpc,
        AwsKind::InstanceType,
        AwsKind::LaunchTemplate,
        AwsKind::KeyPair,
        AwsKind::Parameter,
        AwsKind::Secret,
        AwsKind::AutoScalingGroup,
        AwsKind::LoadBalancer,
        AwsKind::TargetGroup,
        AwsKind::DnsRecord,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AwsKind::Image => "ec2:image",
            AwsKind::SecurityGroup => "ec2:security-group",
            AwsKind::Subnet => "ec2:subnet",
            AwsKind::Vpc => "ec2:vpc",
            AwsKind::InstanceType => "ec2:instance-type",
            AwsKind::LaunchTemplate => "ec2:launch-template",
            AwsKind::KeyPair => "ec2:key-pair",
            AwsKind::Parameter => "ssm:parameter",
            AwsKind::Secret => "secretsmanager:secret",
            AwsKind::AutoScalingGroup => "autoscaling:group",
            AwsKind::LoadBalancer => "elbv2:load-balancer",
            AwsKind::TargetGroup => "elbv2:target-group",
            AwsKind::DnsRecord => "route53:record",
        }
    }

    pub fn parse(s: &str) -> Option<AwsKind> {
        AwsKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How a value may differ from the tested environment's (`x-parity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Parity {
    Same,
    Resource,
    Differs,
}

/// The JSON type a string value is converted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    /// An empty value, for a property whose `type` list includes "null".
    Null,
}

impl ValueType {
    pub fn describe(self) -> &'static str {
        match self {
            ValueType::String => "a string",
            ValueType::Integer => "an integer",
            ValueType::Number => "a number",
            ValueType::Boolean => "a boolean (true, false, 1 or 0)",
            ValueType::Array => "an array (a JSON array, or comma-separated values)",
            ValueType::Object => "a JSON object",
            ValueType::Null => "empty (null)",
        }
    }
}

/// What the schema says about one variable.
#[derive(Debug, Clone)]
pub struct Property {
    /// The types a value is converted to, tried in order (never empty).
    pub value_types: Vec<ValueType>,
    /// For arrays: the type of each item (from `items.type`).
    pub item_type: Option<ValueType>,
    pub aws: Option<AwsKind>,
    /// `writeOnly: true` anywhere in the property's schema, behind any construct.
    pub write_only: bool,
    /// `"writeOnly": false` on the property itself: the name and value-shape secret rules do
    /// not apply (SPEC section 1), unless `writeOnly: true` stands somewhere else for it.
    pub not_secret: bool,
    pub parity: Option<Parity>,
    /// `x-launch-fields`: launch template data field (`ImageId`, ...) -> the variable it must equal.
    pub launch_fields: Vec<(String, String)>,
    /// `x-routes-to`: the `elbv2:load-balancer` variable the traffic of this target group or
    /// DNS record must reach.
    pub routes_to: Option<String>,
}

/// The launch template data fields `x-launch-fields` can map (lists compare as sets).
pub const LAUNCH_FIELDS: [&str; 6] = ["ImageId", "InstanceType", "KeyName", "SecurityGroupIds", "SecurityGroups", "SubnetId"];

impl Property {
    fn plain() -> Property {
        Property {
            value_types: vec![ValueType::String],
            item_type: None,
            aws: None,
            write_only: false,
            not_secret: false,
            parity: None,
            launch_fields: Vec::new(),
            routes_to: None,
        }
    }

    /// The effective parity: explicit, else `resource` for cloud resources, else `differs`.
    pub fn parity(&self) -> Parity {
        self.parity.unwrap_or(if self.aws.is_some() { Parity::Resource } else { Parity::Differs })
    }

    /// Converts an environment string to the first of the property's types it fits.
    /// `Err` describes what was expected.
    pub fn convert(&self, value: &str) -> Result<Value, String> {
        for ty in &self.value_types {
            if let Ok(v) = coerce(value, *ty, self.item_type) {
                return Ok(v);
            }
        }
        let names: Vec<&str> = self.value_types.iter().map(|t| t.describe()).collect();
        Err(names.join(" or "))
    }
}

/// A loaded environment schema.
pub struct EnvSchema {
    pub display_path: String,
    pub json: Value,
    pub validator: jsonschema::Validator,
    pub properties: BTreeMap<String, Property>,
    /// `patternProperties`, in the schema's order: a variable not in `properties` takes the
    /// first whose pattern matches its name.
    pub patterns: Vec<(regex::Regex, Property)>,
    /// `additionalProperties` when it is a schema: for variables matched by neither.
    pub additional: Option<Property>,
    pub required: BTreeSet<String>,
    /// The schema file and every file its `$ref`s read: inputs an output must never replace.
    pub files: Vec<std::path::PathBuf>,
    /// Names marked `writeOnly` in a `properties` of a subschema (anyOf, if/then...) though
    /// not in the top-level `properties`.
    secret_elsewhere: BTreeSet<String>,
    /// `patternProperties` patterns marked `writeOnly` in subschemas.
    secret_patterns: Vec<regex::Regex>,
}

impl std::fmt::Debug for EnvSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvSchema").field("path", &self.display_path).field("properties", &self.properties).finish()
    }
}

impl EnvSchema {
    /// Loads and compiles the schema at `path`; `display_path` is how messages name it. `$ref`s
    /// to other files resolve relative to it and must stay inside `root` (the repository).
    pub fn load(path: &Path, display_path: &str, root: &Path) -> Result<EnvSchema, ToolError> {
        let text = read_text_file(path, MAX_SCHEMA_BYTES, "schema")?;
        let json = Self::json(&text, display_path)?;
        let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        Self::build(json, display_path, Some(refs::Files::new(&real, root)))
    }

    /// A schema from text, with no file to resolve `$ref`s against (tests, fuzzing).
    pub fn parse(text: &str, display_path: &str) -> Result<EnvSchema, ToolError> {
        Self::from_value(Self::json(text, display_path)?, display_path)
    }

    fn json(text: &str, display_path: &str) -> Result<Value, ToolError> {
        serde_json::from_str(text).map_err(|e| {
            let offset = crate::diag::json_error_offset(text, e.line(), e.column());
            ToolError::new(format!("schema {display_path} is not valid JSON: {e}")).with_source(display_path, text, offset..offset, "here")
        })
    }

    pub fn from_value(json: Value, display_path: &str) -> Result<EnvSchema, ToolError> {
        Self::build(json, display_path, None)
    }

    fn build(json: Value, display_path: &str, files: Option<refs::Files>) -> Result<EnvSchema, ToolError> {
        let err = |msg: String| ToolError::new(format!("schema {display_path}: {msg}"));
        let obj = json.as_object().ok_or_else(|| err("the top level must be a JSON object".into()))?;
        if let Some(t) = obj.get("type")
            && t != "object"
        {
            return Err(err("the top-level `type` must be \"object\": the environment is an object of variables".into()));
        }
        let mut properties = BTreeMap::new();
        if let Some(props) = obj.get("properties") {
            let props = props.as_object().ok_or_else(|| err("`properties` must be an object".into()))?;
            for (name, p) in props {
                properties.insert(name.clone(), read_property(&json, name, p).map_err(&err)?);
            }
        }
        for (name, p) in &properties {
            if let Some(target) = &p.routes_to
                && properties.get(target).and_then(|t| t.aws) != Some(AwsKind::LoadBalancer)
            {
                return Err(err(format!("property {name}: `x-routes-to` names {target}, which is not an `elbv2:load-balancer` property of this schema")));
            }
        }
        let mut patterns = Vec::new();
        if let Some(Value::Object(pp)) = obj.get("patternProperties") {
            for (pattern, p) in pp {
                let prop = read_property(&json, pattern, p).map_err(&err)?;
                // JSON Schema patterns are ECMA-262; one the regex crate cannot read is still
                // validated by jsonschema, it only lends no metadata here.
                if let Ok(re) = regex::Regex::new(pattern) {
                    patterns.push((re, prop));
                }
            }
        }
        let mut additional = match obj.get("additionalProperties") {
            Some(p @ Value::Object(_)) => Some(read_property(&json, "additionalProperties", p).map_err(&err)?),
            _ => None,
        };
        let mut required = BTreeSet::new();
        if let Some(r) = obj.get("required") {
            let list = r.as_array().ok_or_else(|| err("`required` must be an array of names".into()))?;
            for n in list {
                let n = n.as_str().ok_or_else(|| err("`required` must be an array of names".into()))?;
                required.insert(n.to_string());
            }
        }
        // writeOnly anywhere a variable's schema can be reached from the root: behind anyOf,
        // oneOf, not, if/then/else, dependentSchemas, patternProperties, a `$ref` to this or
        // another file of the repository.
        let files = files.unwrap_or_default();
        let deep = refs::secret_scan(&json, &files).map_err(&err)?;
        for (name, p) in properties.iter_mut() {
            p.write_only |= deep.names.contains(name) || deep.additional;
        }
        for (re, p) in patterns.iter_mut() {
            p.write_only |= deep.patterns.contains(re.as_str()) || deep.additional;
        }
        if let Some(p) = additional.as_mut() {
            p.write_only |= deep.additional;
        }
        let mut options = jsonschema::options().should_validate_formats(true).with_retriever(files.retriever());
        if let Some(base) = files.base_uri() {
            options = options.with_base_uri(base);
        }
        let validator = options.build(&json).map_err(|e| {
            err(format!("not a usable JSON Schema: {e}"))
                .with_help("check the keyword the message names against the JSON Schema specification (draft 2020-12 unless `$schema` names another)")
        })?;
        let mut secret_elsewhere = deep.names;
        secret_elsewhere.retain(|n| !properties.contains_key(n));
        let files_read = files.read();
        Ok(EnvSchema {
            display_path: display_path.to_string(),
            json,
            validator,
            properties,
            patterns,
            additional,
            required,
            files: files_read,
            secret_elsewhere,
            secret_patterns: deep.pattern_regexes,
        })
    }

    /// What the schema says about a variable: its entry in `properties`, else the first
    /// matching `patternProperties` entry, else `additionalProperties` when it is a schema.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.get(name).or_else(|| self.patterns.iter().find(|(re, _)| re.is_match(name)).map(|(_, p)| p)).or(self.additional.as_ref())
    }

    /// What the schema says of a variable's secrecy: `Some(true)` for `writeOnly: true` at
    /// any depth, `Some(false)` for an explicit `"writeOnly": false`, `None` when it is silent.
    pub fn write_only(&self, name: &str) -> Option<bool> {
        let p = self.property(name);
        if p.is_some_and(|p| p.write_only) || self.secret_elsewhere.contains(name) || self.secret_patterns.iter().any(|re| re.is_match(name)) {
            Some(true)
        } else if p.is_some_and(|p| p.not_secret) {
            Some(false)
        } else {
            None
        }
    }

    /// True when the variable's value must never be shown, by its schema or its name. (Its
    /// value's shape is judged by [`crate::secrets`], which knows the value.)
    pub fn is_secret(&self, name: &str) -> bool {
        crate::secrets::classify(name, None, self.write_only(name)).is_some()
    }

    /// True when the schema forbids variables it does not list.
    pub fn closed(&self) -> bool {
        self.json.get("additionalProperties") == Some(&Value::Bool(false))
    }
}

fn read_property(root: &Value, name: &str, p: &Value) -> Result<Property, String> {
    if !p.is_object() {
        return Ok(Property::plain());
    }
    let obj = flatten(root, p, 0);
    let value_types = types_of(&obj).map_err(|m| format!("property {name}: {m}"))?;
    let items = obj.get("items").filter(|i| i.is_object()).map(|i| flatten(root, i, 0));
    let item_type = match &items {
        Some(i) => Some(types_of(i).map_err(|m| format!("property {name}: items: {m}"))?[0]),
        None => None,
    };
    let aws_here = aws_of(&obj).map_err(|m| format!("property {name}: {m}"))?;
    let aws_items = match &items {
        Some(i) => aws_of(i).map_err(|m| format!("property {name}: items: {m}"))?,
        None => None,
    };
    if aws_here.is_some() && !value_types.contains(&ValueType::String) {
        return Err(format!("property {name}: `x-aws` stands on a string property, or on the `items` of an array"));
    }
    if aws_items.is_some() && !value_types.contains(&ValueType::Array) {
        return Err(format!("property {name}: `x-aws` on `items` needs `\"type\": \"array\"`"));
    }
    let parity = match obj.get("x-parity") {
        None => None,
        Some(Value::String(s)) => Some(match s.as_str() {
            "same" => Parity::Same,
            "resource" => Parity::Resource,
            "differs" => Parity::Differs,
            other => return Err(format!("property {name}: unknown x-parity `{other}` (expected same, resource or differs)")),
        }),
        Some(_) => return Err(format!("property {name}: `x-parity` must be a string")),
    };
    let aws = aws_here.or(aws_items);
    if parity == Some(Parity::Resource) && aws.is_none() {
        return Err(format!("property {name}: `x-parity: resource` needs an `x-aws` kind to compare resources"));
    }
    let write_only = |m: &Map<String, Value>| m.get("writeOnly") == Some(&Value::Bool(true));
    let launch_fields = match obj.get("x-launch-fields") {
        None => Vec::new(),
        Some(Value::Object(map)) if matches!(aws, Some(AwsKind::LaunchTemplate | AwsKind::AutoScalingGroup)) => {
            let mut out = Vec::new();
            for (field, var) in map {
                if !LAUNCH_FIELDS.contains(&field.as_str()) {
                    return Err(format!("property {name}: `x-launch-fields` maps `{field}`, which is not one of {}", LAUNCH_FIELDS.join(", ")));
                }
                let Some(var) = var.as_str().filter(|v| !v.is_empty()) else {
                    return Err(format!("property {name}: `x-launch-fields.{field}` must name a variable"));
                };
                out.push((field.clone(), var.to_string()));
            }
            out
        }
        Some(_) => {
            return Err(format!(
                "property {name}: `x-launch-fields` is an object of field -> variable, on an `ec2:launch-template` or `autoscaling:group` property"
            ));
        }
    };
    let routes_to = match obj.get("x-routes-to") {
        None => None,
        Some(Value::String(v)) if !v.is_empty() && matches!(aws, Some(AwsKind::TargetGroup | AwsKind::DnsRecord)) => Some(v.clone()),
        Some(_) => {
            return Err(format!(
                "property {name}: `x-routes-to` names an `elbv2:load-balancer` variable, on an `elbv2:target-group` or `route53:record` property"
            ));
        }
    };
    Ok(Property {
        value_types,
        item_type,
        aws,
        write_only: write_only(&obj) || items.as_ref().is_some_and(write_only),
        not_secret: obj.get("writeOnly") == Some(&Value::Bool(false)),
        parity,
        launch_fields,
        routes_to,
    })
}

/// A subschema's keywords with its local `$ref` target and its `allOf` members merged in, so
/// `type`, `x-aws`, `writeOnly` and `x-parity` written behind `{"$ref": "#/$defs/ami"}` count.
/// Keywords written on the subschema itself win; references deeper than 32 (or cycles) stop.
fn flatten(root: &Value, node: &Value, depth: usize) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(obj) = node.as_object() else { return out };
    for (k, v) in obj {
        if k != "$ref" && k != "allOf" {
            out.insert(k.clone(), v.clone());
        }
    }
    if depth >= 32 {
        return out;
    }
    let mut merged = Vec::new();
    if let Some(Value::String(r)) = obj.get("$ref")
        && let Some(target) = local_ref(root, r)
    {
        merged.push(flatten(root, target, depth + 1));
    }
    if let Some(Value::Array(all)) = obj.get("allOf") {
        merged.extend(all.iter().map(|m| flatten(root, m, depth + 1)));
    }
    for m in merged {
        for (k, v) in m {
            out.entry(k).or_insert(v);
        }
    }
    out
}

/// The subschema a same-document reference (`#`, `#/$defs/name`, percent-encoded or not) points
/// at. Other references lend no metadata (jsonschema still validates with them).
fn local_ref<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let fragment = reference.strip_prefix('#')?;
    if fragment.is_empty() {
        return Some(root);
    }
    root.pointer(&percent_encoding::percent_decode_str(fragment).decode_utf8().ok()?)
}

fn aws_of(obj: &Map<String, Value>) -> Result<Option<AwsKind>, String> {
    match obj.get("x-aws") {
        None => Ok(None),
        Some(Value::String(s)) => AwsKind::parse(s).map(Some).ok_or_else(|| {
            let known: Vec<&str> = AwsKind::ALL.iter().map(|k| k.as_str()).collect();
            format!("unknown x-aws kind `{s}` (known: {})", known.join(", "))
        }),
        Some(_) => Err("`x-aws` must be a string".into()),
    }
}

/// The conversion targets, in the order tried: the declared type, or for a list of types each
/// one a string can be converted to (a list containing "string" keeps the value as it is, and
/// "null" is tried first, for an empty value).
fn types_of(obj: &Map<String, Value>) -> Result<Vec<ValueType>, String> {
    let names: Vec<&str> = match obj.get("type") {
        None => return Ok(types_of_values(obj)),
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        Some(_) => return Err("`type` must be a string or an array of strings".into()),
    };
    if names.contains(&"string") {
        return Ok(vec![ValueType::String]);
    }
    let mut out = Vec::new();
    for (n, t) in [
        ("null", ValueType::Null),
        ("integer", ValueType::Integer),
        ("number", ValueType::Number),
        ("boolean", ValueType::Boolean),
        ("array", ValueType::Array),
        ("object", ValueType::Object),
    ] {
        if names.contains(&n) {
            out.push(t);
        }
    }
    if out.is_empty() {
        out.push(ValueType::String);
    }
    Ok(out)
}

/// Without `type`, the types of the `enum` or `const` values: `{"enum": [1, 2, 3]}` converts "2"
/// to the number it lists. Any string value among them, or neither keyword, keeps the string.
fn types_of_values(obj: &Map<String, Value>) -> Vec<ValueType> {
    let values: Vec<&Value> = match (obj.get("enum"), obj.get("const")) {
        (Some(Value::Array(items)), _) => items.iter().collect(),
        (_, Some(v)) => vec![v],
        _ => return vec![ValueType::String],
    };
    if values.is_empty() || values.iter().any(|v| v.is_string()) {
        return vec![ValueType::String];
    }
    let mut out = Vec::new();
    for (ty, present) in [
        (ValueType::Null, values.iter().any(|v| v.is_null())),
        (ValueType::Integer, values.iter().any(|v| v.is_i64() || v.is_u64())),
        (ValueType::Number, values.iter().any(|v| v.is_f64())),
        (ValueType::Boolean, values.iter().any(|v| v.is_boolean())),
        (ValueType::Array, values.iter().any(|v| v.is_array())),
        (ValueType::Object, values.iter().any(|v| v.is_object())),
    ] {
        if present {
            out.push(ty);
        }
    }
    out
}

/// Converts an environment string to the JSON value its property's type asks for.
/// `Err` carries the type that could not be produced.
pub fn coerce(value: &str, ty: ValueType, item: Option<ValueType>) -> Result<Value, ValueType> {
    let t = value.trim();
    match ty {
        ValueType::String => Ok(Value::String(value.to_string())),
        ValueType::Integer => {
            if let Ok(i) = t.parse::<i64>() {
                Ok(Value::from(i))
            } else if let Ok(u) = t.parse::<u64>() {
                Ok(Value::from(u))
            } else {
                Err(ty)
            }
        }
        ValueType::Number => {
            if let Ok(i) = t.parse::<i64>() {
                return Ok(Value::from(i));
            }
            let looks_numeric = !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
            match t.parse::<f64>() {
                Ok(f) if f.is_finite() && looks_numeric => serde_json::Number::from_f64(f).map(Value::Number).ok_or(ty),
                _ => Err(ty),
            }
        }
        ValueType::Boolean => match t {
            "true" | "1" => Ok(Value::Bool(true)),
            "false" | "0" => Ok(Value::Bool(false)),
            _ => Err(ty),
        },
        ValueType::Array => {
            if t.starts_with('[') {
                match serde_json::from_str::<Value>(t) {
                    Ok(v @ Value::Array(_)) => Ok(v),
                    _ => Err(ty),
                }
            } else if t.is_empty() {
                Ok(Value::Array(Vec::new()))
            } else {
                let item = item.unwrap_or(ValueType::String);
                t.split(',').map(|s| coerce(s.trim(), item, None)).collect::<Result<Vec<_>, _>>().map(Value::Array).map_err(|_| ty)
            }
        }
        ValueType::Object => match serde_json::from_str::<Value>(t) {
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(ty),
        },
        ValueType::Null if t.is_empty() => Ok(Value::Null),
        ValueType::Null => Err(ty),
    }
}

/// The strings of a value that name cloud resources: the value itself, or an array's items.
pub fn resource_names(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coercion() {
        // (text, type, item type, the value it converts to; None: it must not convert). Every
        // disagreement is listed, not just the first.
        let cases: Vec<(&str, ValueType, Option<ValueType>, Option<Value>)> = vec![
            ("42", ValueType::Integer, None, Some(json!(42))),
            (" 42 ", ValueType::Integer, None, Some(json!(42))),
            ("4.2", ValueType::Integer, None, None),
            ("forty", ValueType::Integer, None, None),
            ("1.5", ValueType::Number, None, Some(json!(1.5))),
            ("NaN", ValueType::Number, None, None),
            ("inf", ValueType::Number, None, None),
            ("1", ValueType::Boolean, None, Some(json!(true))),
            ("false", ValueType::Boolean, None, Some(json!(false))),
            ("yes", ValueType::Boolean, None, None),
            ("a, b ,c", ValueType::Array, None, Some(json!(["a", "b", "c"]))),
            ("[1, 2]", ValueType::Array, None, Some(json!([1, 2]))),
            ("[1, 2", ValueType::Array, None, None),
            ("1,2", ValueType::Array, Some(ValueType::Integer), Some(json!([1, 2]))),
            ("1,x", ValueType::Array, Some(ValueType::Integer), None),
            ("{\"a\":1}", ValueType::Object, None, Some(json!({"a": 1}))),
            ("[]", ValueType::Object, None, None),
        ];
        let wrong: Vec<String> = cases
            .into_iter()
            .filter_map(|(text, ty, items, want)| {
                let got = coerce(text, ty, items).ok();
                (got != want).then(|| format!("{text:?} as {ty:?}: got {got:?}, want {want:?}"))
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn metadata() {
        let s = EnvSchema::from_value(
            json!({
                "type": "object",
                "required": ["LAUNCH_AMI"],
                "additionalProperties": false,
                "properties": {
                    "LAUNCH_AMI": {"type": "string", "x-aws": "ec2:image"},
                    "SUBNETS": {"type": "array", "items": {"type": "string", "x-aws": "ec2:subnet"}},
                    "DB_URL": {"type": "string", "writeOnly": true, "x-parity": "differs"},
                    "REPLICAS": {"type": ["integer", "null"]},
                    "MODE": {"type": "string", "x-parity": "same"}
                }
            }),
            "env.schema.json",
        )
        .unwrap();
        assert_eq!(s.properties["LAUNCH_AMI"].parity(), Parity::Resource);
        assert_eq!(s.properties["SUBNETS"].aws, Some(AwsKind::Subnet));
        assert_eq!(s.properties["REPLICAS"].value_types, [ValueType::Null, ValueType::Integer]);
        assert_eq!(s.properties["MODE"].parity(), Parity::Same);
        assert!(s.is_secret("DB_URL"));
        assert!(s.is_secret("API_TOKEN"));
        assert!(s.closed());
    }

    #[test]
    fn refs_all_of_patterns_and_additional_properties() {
        let s = EnvSchema::from_value(
            json!({
                "$defs": {"sg": {"type": "string", "x-aws": "ec2:security-group"}, "a~b c": {"type": "string", "writeOnly": true}},
                "properties": {
                    "G": {"type": "array", "items": {"$ref": "#/$defs/sg"}},
                    "S": {"$ref": "#/$defs/a~0b%20c"},
                    "T": {"type": "array", "items": {"type": "string", "writeOnly": true}},
                    "P": {"allOf": [{"type": "integer"}, {"x-parity": "same"}], "type": "number"}
                },
                "patternProperties": {"^X_": {"type": "boolean"}},
                "additionalProperties": {"type": "number"}
            }),
            "s.json",
        )
        .unwrap();
        assert_eq!(s.properties["G"].aws, Some(AwsKind::SecurityGroup));
        assert!(s.is_secret("S") && s.is_secret("T"));
        // Keywords on the property itself win over those merged in.
        assert_eq!(s.properties["P"].value_types, [ValueType::Number]);
        assert_eq!(s.properties["P"].parity(), Parity::Same);
        assert_eq!(s.property("X_ON").unwrap().value_types, [ValueType::Boolean]);
        assert_eq!(s.property("OTHER").unwrap().value_types, [ValueType::Number]);
        assert_eq!(s.property("X_ON").unwrap().convert("1"), Ok(json!(true)));
        // A type list converts to the first type that fits.
        let p = Property { value_types: vec![ValueType::Null, ValueType::Integer, ValueType::Boolean], ..Property::plain() };
        assert_eq!(p.convert("7"), Ok(json!(7)));
        assert_eq!(p.convert("false"), Ok(json!(false)));
        assert_eq!(p.convert(""), Ok(Value::Null));
        assert_eq!(p.convert("x"), Err("empty (null) or an integer or a boolean (true, false, 1 or 0)".to_string()));
        // Without `type`, the enum's values say what to convert to.
        let s = EnvSchema::from_value(json!({"properties": {"N": {"enum": [1, 2]}, "M": {"enum": ["1", 2]}, "C": {"const": true}}}), "s.json").unwrap();
        assert_eq!(s.properties["N"].convert("2"), Ok(json!(2)));
        assert_eq!(s.properties["M"].convert("1"), Ok(json!("1")));
        assert_eq!(s.properties["C"].convert("1"), Ok(json!(true)));
    }

    #[test]
    fn reference_cycles_stop() {
        let root = json!({"$defs": {"a": {"$ref": "#/$defs/b", "type": "integer"}, "b": {"$ref": "#/$defs/a", "writeOnly": true}}});
        let flat = flatten(&root, &json!({"$ref": "#/$defs/a"}), 0);
        assert_eq!(flat.get("type"), Some(&json!("integer")));
        assert_eq!(flat.get("writeOnly"), Some(&json!(true)));
        assert_eq!(local_ref(&root, "other.json#/x"), None);
        assert_eq!(local_ref(&root, "#"), Some(&root));
    }

    #[test]
    fn bad_schemas_are_tool_errors() {
        assert!(EnvSchema::parse("{", "s.json").is_err());
        assert!(EnvSchema::parse("[]", "s.json").is_err());
        assert!(EnvSchema::parse(r#"{"properties":{"A":{"x-aws":"ec2:ami"}}}"#, "s.json").is_err());
        assert!(EnvSchema::parse(r#"{"properties":{"A":{"type":"integer","x-aws":"ec2:image"}}}"#, "s.json").is_err());
        assert!(EnvSchema::parse(r#"{"properties":{"A":{"type":"strin"}}}"#, "s.json").is_err());
        let deep = "[".repeat(10_000);
        assert!(EnvSchema::parse(&deep, "s.json").is_err());
    }
}
