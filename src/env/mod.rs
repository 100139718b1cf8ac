//! The environment about to be deployed: variables gathered from the configured sources
//! (dotenv files, an SSM path, the process environment), layered in order, each remembering
//! where it came from so a finding can point at the line.

pub mod docker;
pub mod dotenv;
pub mod reference;
pub mod task_definition;

use std::collections::BTreeMap;

use crate::report::{Location, SourceFile};

/// One variable as it will be deployed.
#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    /// The value as written in its source (before `{{resolve:...}}` resolution).
    pub raw: String,
    /// The value after resolving references; `None` while unresolved or when it cannot be
    /// known (an `ssm-secure` reference is never decrypted).
    pub value: Option<String>,
    pub origin: Origin,
}

/// Where a variable's value came from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// A dotenv file: the location of the key and of the value.
    File { key: Location, value: Option<Location> },
    /// A parameter read by an `ssm_path` source.
    Ssm { parameter: String, region: String },
    /// The preflight process's own environment.
    Process,
    /// An entry of an ECS task definition's container: `revision` is the file's path or the
    /// registered revision's ARN; locations when read from a file. `value_from`: a `secrets`
    /// entry, whose `raw` is the `valueFrom` and whose value is never known.
    TaskDefinition { revision: String, key: Option<Location>, value: Option<Location>, value_from: bool },
}

impl Variable {
    /// The best place to point at for a finding about this variable's value.
    pub fn value_location(&self) -> Option<Location> {
        match &self.origin {
            Origin::File { key, value } => Some(value.clone().unwrap_or_else(|| key.clone())),
            Origin::TaskDefinition { key, value, .. } => value.clone().or_else(|| key.clone()),
            _ => None,
        }
    }

    /// A task definition `secrets` entry: `raw` is its `valueFrom`.
    pub fn is_value_from(&self) -> bool {
        matches!(self.origin, Origin::TaskDefinition { value_from: true, .. })
    }

    /// The place of one item of the value (`subnet-b` in `SUBNETS=subnet-a,subnet-b`), when it
    /// can be found exactly: the value as written equals the text in the file (no escapes, no
    /// `{{resolve:...}}`) and the item stands there as a whole list element. Otherwise the
    /// value's own place.
    pub fn item_location(&self, item: &str) -> Option<Location> {
        let loc = self.value_location()?;
        let (Some((start, end)), Origin::File { value: Some(_), .. }) = (loc.span, &self.origin) else { return Some(loc) };
        if end.saturating_sub(start) != self.raw.len() || self.value.as_deref() != Some(self.raw.as_str()) || item.is_empty() {
            return Some(loc);
        }
        let boundary = |c: Option<char>| c.is_none_or(|c| c == ',' || c == '[' || c == ']' || c == '"' || c.is_whitespace());
        let found = self
            .raw
            .match_indices(item)
            .map(|(i, _)| i)
            .find(|&i| boundary(self.raw[..i].chars().next_back()) && boundary(self.raw[i + item.len()..].chars().next()));
        let Some(i) = found else { return Some(loc) };
        let before = &self.raw[..i];
        if before.contains(['\n', '\r']) {
            return Some(loc);
        }
        Some(Location { column: loc.column + before.chars().count() as u32, span: Some((start + i, start + i + item.len())), ..loc })
    }

    /// The place to point at for a finding about the variable's name.
    pub fn key_location(&self) -> Option<Location> {
        match &self.origin {
            Origin::File { key, .. } => Some(key.clone()),
            Origin::TaskDefinition { key, .. } => key.clone(),
            _ => None,
        }
    }

    /// Describes where the variable came from when there is no file location.
    pub fn origin_label(&self) -> String {
        match &self.origin {
            Origin::File { key, .. } => format!("{}:{}", key.path, key.line),
            Origin::Ssm { parameter, region } => format!("SSM parameter {parameter} ({region})"),
            Origin::Process => "the process environment".to_string(),
            Origin::TaskDefinition { revision, .. } => format!("task definition {revision}"),
        }
    }
}

/// All variables of one environment plus the texts of the files they were read from.
#[derive(Debug, Default)]
pub struct EnvSet {
    pub vars: BTreeMap<String, Variable>,
    pub files: Vec<SourceFile>,
}

impl EnvSet {
    /// Adds (or overrides) a variable: a later source wins over an earlier one.
    pub fn set(&mut self, var: Variable) {
        // In place when the name is known: a file that repeats a key allocates no new entry.
        match self.vars.get_mut(&var.name) {
            Some(slot) => *slot = var,
            None => {
                self.vars.insert(var.name.clone(), var);
            }
        }
    }
}
