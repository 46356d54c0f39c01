//! Reading one JSON object member by member: each member taken is mapped, and whatever is left
//! at the end is reported by name ([`Fields::report_rest`]), so nothing is dropped silently.

use serde_json::{Map, Value};

use super::{ImportError, Note};

/// The members of one JSON object not yet read, with the file and path they came from.
pub struct Fields {
    file: String,
    path: String,
    map: Map<String, Value>,
}

impl Fields {
    /// `value` must be an object.
    pub fn new(file: &str, path: &str, value: &Value) -> Result<Self, ImportError> {
        let Some(map) = value.as_object() else {
            return Err(ImportError::shape(file, path, "expected a JSON object"));
        };
        Ok(Self {
            file: file.to_owned(),
            path: path.to_owned(),
            map: map.clone(),
        })
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path of one member, `UserPool.Policies`.
    pub fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub fn error(&self, key: &str, message: impl Into<String>) -> ImportError {
        ImportError::shape(&self.file, &self.at(key), message)
    }

    /// Take a member as it is (null counts as absent).
    pub fn take(&mut self, key: &str) -> Option<Value> {
        self.map.remove(key).filter(|v| !v.is_null())
    }

    pub fn string(&mut self, key: &str) -> Result<Option<String>, ImportError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.error(key, "expected a string")),
        }
    }

    pub fn required_string(&mut self, key: &str) -> Result<String, ImportError> {
        self.string(key)?
            .ok_or_else(|| self.error(key, "missing (a string is required here)"))
    }

    pub fn bool(&mut self, key: &str) -> Result<Option<bool>, ImportError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            // CloudFormation templates often write booleans as strings.
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(_) => Err(self.error(key, "expected a boolean")),
        }
    }

    pub fn int(&mut self, key: &str) -> Result<Option<i64>, ImportError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
            Some(Value::String(s)) if s.parse::<i64>().is_ok() => Ok(s.parse().ok()),
            Some(_) => Err(self.error(key, "expected an integer")),
        }
    }

    pub fn strings(&mut self, key: &str) -> Result<Vec<String>, ImportError> {
        let Some(value) = self.take(key) else {
            return Ok(Vec::new());
        };
        let items = value
            .as_array()
            .ok_or_else(|| self.error(key, "expected a list"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| self.error(&format!("{key}[{i}]"), "expected a string"))
            })
            .collect()
    }

    /// A nested object, to be read member by member in turn.
    pub fn object(&mut self, key: &str) -> Result<Option<Fields>, ImportError> {
        let path = self.at(key);
        self.take(key)
            .map(|v| Fields::new(&self.file, &path, &v))
            .transpose()
    }

    /// A list of objects, each read member by member (`Path[i]`).
    pub fn objects(&mut self, key: &str) -> Result<Vec<Fields>, ImportError> {
        let Some(value) = self.take(key) else {
            return Ok(Vec::new());
        };
        let items = value
            .as_array()
            .ok_or_else(|| self.error(key, "expected a list"))?;
        let path = self.at(key);
        items
            .iter()
            .enumerate()
            .map(|(i, v)| Fields::new(&self.file, &format!("{path}[{i}]"), v))
            .collect()
    }

    /// Drop members that describe the resource rather than configure it (dates, counts, ARNs).
    pub fn skip(&mut self, keys: &[&str]) {
        for k in keys {
            self.map.remove(*k);
        }
    }

    /// Drop a member whose value is the default the emulator applies anyway.
    pub fn skip_if(&mut self, key: &str, default: &Value) {
        if self.map.get(key) == Some(default) {
            self.map.remove(key);
        }
    }

    /// Report a value read but not imported, with why.
    pub fn note(&self, key: &str, value: &Value, reason: impl Into<String>) -> Note {
        Note::new(&self.file, &self.at(key), value, reason)
    }

    /// Report every member not read: the config has no place for it.
    pub fn report_rest(self, notes: &mut Vec<Note>) {
        for (k, v) in &self.map {
            if v.is_null() {
                continue;
            }
            notes.push(self.note(k, v, super::UNSUPPORTED));
        }
    }
}
