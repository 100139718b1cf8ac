//! The environment schema: a JSON Schema whose properties are variable names, plus
//! preflight's keywords (`x-aws`, `x-parity`, `writeOnly`). This module loads it, reads the
//! per-variable metadata the checks need, and converts string values to typed JSON
//! (SPEC section 1) before validation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value};

use crate::diag::{ToolError, line_col, read_text_file};

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
}

impl AwsKind {
    pub const ALL: [AwsKind; 8] = [
        AwsKind::Image,
        AwsKind::SecurityGroup,
        AwsKind::Subnet,
        AwsKind::Vpc,
        AwsKind::InstanceType,
        AwsKind::LaunchTemplate,
        AwsKind::KeyPair,
        AwsKind::Parameter,
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
        }
    }
}

/// What the schema says about one variable.
#[derive(Debug, Clone)]
pub struct Property {
    pub value_type: ValueType,
    /// For arrays: the type of each item (from `items.type`).
    pub item_type: Option<ValueType>,
    pub aws: Option<AwsKind>,
    pub write_only: bool,
    pub parity: Option<Parity>,
}

impl Property {
    /// The effective parity: explicit, else `resource` for cloud resources, else `differs`.
    pub fn parity(&self) -> Parity {
        self.parity.unwrap_or(if self.aws.is_some() { Parity::Resource } else { Parity::Differs })
    }
}

/// A loaded environment schema.
pub struct EnvSchema {
    pub display_path: String,
    pub json: Value,
    pub validator: jsonschema::Validator,
    pub properties: BTreeMap<String, Property>,
    pub required: BTreeSet<String>,
}

impl std::fmt::Debug for EnvSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvSchema").field("path", &self.display_path).field("properties", &self.properties).finish()
    }
}

impl EnvSchema {
    /// Loads and compiles the schema at `path`; `display_path` is how messages name it.
    pub fn load(path: &Path, display_path: &str) -> Result<EnvSchema, ToolError> {
        let text = read_text_file(path, MAX_SCHEMA_BYTES, "schema")?;
        Self::parse(&text, display_path)
    }

    pub fn parse(text: &str, display_path: &str) -> Result<EnvSchema, ToolError> {
        let json: Value = serde_json::from_str(text).map_err(|e| {
            let offset = offset_of(text, e.line(), e.column());
            ToolError::new(format!("schema {display_path} is not valid JSON: {e}"))
                .with_source(display_path, text, offset..offset, "here")
        })?;
        Self::from_value(json, display_path)
    }

    pub fn from_value(json: Value, display_path: &str) -> Result<EnvSchema, ToolError> {
        let err = |msg: String| ToolError::new(format!("schema {display_path}: {msg}"));
        let obj = json.as_object().ok_or_else(|| err("the top level must be a JSON object".into()))?;
        if let Some(t) = obj.get("type") {
            if t != "object" {
                return Err(err("the top-level `type` must be \"object\": the environment is an object of variables".into()));
            }
        }
        let mut properties = BTreeMap::new();
        if let Some(props) = obj.get("properties") {
            let props = props.as_object().ok_or_else(|| err("`properties` must be an object".into()))?;
            for (name, p) in props {
                properties.insert(name.clone(), read_property(name, p).map_err(|m| err(m))?);
            }
        }
        let mut required = BTreeSet::new();
        if let Some(r) = obj.get("required") {
            let list = r.as_array().ok_or_else(|| err("`required` must be an array of names".into()))?;
            for n in list {
                let n = n.as_str().ok_or_else(|| err("`required` must be an array of names".into()))?;
                required.insert(n.to_string());
            }
        }
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&json)
            .map_err(|e| err(format!("not a usable JSON Schema: {e}")).with_help("check the keyword at the path shown against the JSON Schema specification"))?;
        Ok(EnvSchema { display_path: display_path.to_string(), json, validator, properties, required })
    }

    /// True when the variable's value must never be shown.
    pub fn is_secret(&self, name: &str) -> bool {
        crate::env::is_secret_name(name) || self.properties.get(name).is_some_and(|p| p.write_only)
    }

    /// True when the schema forbids variables it does not list.
    pub fn closed(&self) -> bool {
        self.json.get("additionalProperties") == Some(&Value::Bool(false))
    }
}

fn read_property(name: &str, p: &Value) -> Result<Property, String> {
    let Some(obj) = p.as_object() else {
        return Ok(Property { value_type: ValueType::String, item_type: None, aws: None, write_only: false, parity: None });
    };
    let value_type = type_of(obj).map_err(|m| format!("property {name}: {m}"))?;
    let items = obj.get("items").and_then(Value::as_object);
    let item_type = match items {
        Some(i) => Some(type_of(i).map_err(|m| format!("property {name}: items: {m}"))?),
        None => None,
    };
    let aws_here = aws_of(obj).map_err(|m| format!("property {name}: {m}"))?;
    let aws_items = match items {
        Some(i) => aws_of(i).map_err(|m| format!("property {name}: items: {m}"))?,
        None => None,
    };
    if aws_here.is_some() && value_type != ValueType::String {
        return Err(format!("property {name}: `x-aws` stands on a string property, or on the `items` of an array"));
    }
    if aws_items.is_some() && value_type != ValueType::Array {
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
    Ok(Property {
        value_type,
        item_type,
        aws,
        write_only: obj.get("writeOnly") == Some(&Value::Bool(true)),
        parity,
    })
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

/// The conversion target: the declared type, or for a list of types the first one a string
/// can be converted to (a list containing "string" keeps the value as it is).
fn type_of(obj: &Map<String, Value>) -> Result<ValueType, String> {
    let names: Vec<&str> = match obj.get("type") {
        None => return Ok(ValueType::String),
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        Some(_) => return Err("`type` must be a string or an array of strings".into()),
    };
    if names.contains(&"string") {
        return Ok(ValueType::String);
    }
    for n in ["integer", "number", "boolean", "array", "object"] {
        if names.contains(&n) {
            return Ok(match n {
                "integer" => ValueType::Integer,
                "number" => ValueType::Number,
                "boolean" => ValueType::Boolean,
                "array" => ValueType::Array,
                _ => ValueType::Object,
            });
        }
    }
    Ok(ValueType::String)
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
                t.split(',')
                    .map(|s| coerce(s.trim(), item, None))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array)
                    .map_err(|_| ty)
            }
        }
        ValueType::Object => match serde_json::from_str::<Value>(t) {
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(ty),
        },
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

/// Byte offset of serde_json's 1-based (line, column).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let col = column.saturating_sub(1).min(l.len());
            let mut o = offset + col;
            while !text.is_char_boundary(o) {
                o -= 1;
            }
            return o;
        }
        offset += l.len();
    }
    let _ = line_col;
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coercion() {
        assert_eq!(coerce("42", ValueType::Integer, None), Ok(json!(42)));
        assert_eq!(coerce(" 42 ", ValueType::Integer, None), Ok(json!(42)));
        assert!(coerce("4.2", ValueType::Integer, None).is_err());
        assert!(coerce("forty", ValueType::Integer, None).is_err());
        assert_eq!(coerce("1.5", ValueType::Number, None), Ok(json!(1.5)));
        assert!(coerce("NaN", ValueType::Number, None).is_err());
        assert!(coerce("inf", ValueType::Number, None).is_err());
        assert_eq!(coerce("1", ValueType::Boolean, None), Ok(json!(true)));
        assert_eq!(coerce("false", ValueType::Boolean, None), Ok(json!(false)));
        assert!(coerce("yes", ValueType::Boolean, None).is_err());
        assert_eq!(coerce("a, b ,c", ValueType::Array, None), Ok(json!(["a", "b", "c"])));
        assert_eq!(coerce("[1, 2]", ValueType::Array, None), Ok(json!([1, 2])));
        assert!(coerce("[1, 2", ValueType::Array, None).is_err());
        assert_eq!(coerce("1,2", ValueType::Array, Some(ValueType::Integer)), Ok(json!([1, 2])));
        assert!(coerce("1,x", ValueType::Array, Some(ValueType::Integer)).is_err());
        assert_eq!(coerce("{\"a\":1}", ValueType::Object, None), Ok(json!({"a": 1})));
        assert!(coerce("[]", ValueType::Object, None).is_err());
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
        assert_eq!(s.properties["REPLICAS"].value_type, ValueType::Integer);
        assert_eq!(s.properties["MODE"].parity(), Parity::Same);
        assert!(s.is_secret("DB_URL"));
        assert!(s.is_secret("API_TOKEN"));
        assert!(s.closed());
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
