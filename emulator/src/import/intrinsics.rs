//! CloudFormation's intrinsic functions, resolved within one template: `Ref` and `Fn::GetAtt`
//! to the template's own resources (a pool's id, a client's id, a provider's name, a Lambda
//! function's ARN), parameters' defaults, pseudo parameters, `Fn::Join`, `Fn::Sub`,
//! `Fn::Select`. Anything else is an error naming its path.

use serde_json::{Map, Value, json};

use super::ImportError;

/// The account ids the emulator uses in ARNs.
const ACCOUNT: &str = "000000000000";
/// Deeper than any sensible template: a guard against `Ref` cycles.
const MAX_DEPTH: usize = 16;

pub struct Template<'a> {
    pub file: &'a str,
    pub region: String,
    resources: &'a Map<String, Value>,
    parameters: Option<&'a Map<String, Value>>,
}

impl<'a> Template<'a> {
    pub fn new(file: &'a str, resources: &'a Map<String, Value>, top: &'a Value) -> Self {
        Self {
            file,
            region: "us-east-1".into(),
            resources,
            parameters: top.get("Parameters").and_then(Value::as_object),
        }
    }

    /// The pool id a template's pool gets: `<region>_<logical id>` (the real one is drawn at
    /// deploy time).
    pub fn pool_id(&self, logical: &str) -> String {
        let alnum: String = logical
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        format!("{}_{alnum}", self.region)
    }

    /// `value` with every intrinsic function resolved; `AWS::NoValue` removes its member.
    pub fn resolve(&self, value: &Value, path: &str) -> Result<Value, ImportError> {
        self.at(value, path, 0)
    }

    fn error(&self, path: &str, message: impl Into<String>) -> ImportError {
        ImportError::shape(self.file, path, message)
    }

    fn at(&self, value: &Value, path: &str, depth: usize) -> Result<Value, ImportError> {
        if depth > MAX_DEPTH {
            return Err(self.error(path, "references nest too deep (a Ref cycle?)"));
        }
        match value {
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, v) in items.iter().enumerate() {
                    let v = self.at(v, &format!("{path}[{i}]"), depth)?;
                    if !v.is_null() {
                        out.push(v);
                    }
                }
                Ok(Value::Array(out))
            }
            Value::Object(map) if map.len() == 1 && is_intrinsic(map) => {
                let (name, arg) = map
                    .iter()
                    .next()
                    .map_or(("", &Value::Null), |(k, v)| (k, v));
                self.function(name, arg, &format!("{path}.{name}"), depth + 1)
            }
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    let v = self.at(v, &format!("{path}.{k}"), depth)?;
                    if !v.is_null() {
                        out.insert(k.clone(), v);
                    }
                }
                Ok(Value::Object(out))
            }
            other => Ok(other.clone()),
        }
    }

    fn function(
        &self,
        name: &str,
        arg: &Value,
        path: &str,
        depth: usize,
    ) -> Result<Value, ImportError> {
        match name {
            "Ref" => match arg.as_str() {
                Some(target) => self.reference(target, path, depth),
                None => Err(self.error(path, "Ref takes a name")),
            },
            "Fn::GetAtt" => {
                let (target, attr) = get_att_args(arg).ok_or_else(|| {
                    self.error(path, "Fn::GetAtt takes [resource, attribute] or \"resource.attribute\"")
                })?;
                self.attribute(&target, &attr, path, depth)
            }
            "Fn::Join" => self.join(arg, path, depth),
            "Fn::Sub" => self.sub(arg, path, depth),
            "Fn::Select" => self.select(arg, path, depth),
            other => Err(self.error(
                path,
                format!("{other} is not resolved by the importer (only Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select): write the value out"),
            )),
        }
    }

    fn reference(&self, target: &str, path: &str, depth: usize) -> Result<Value, ImportError> {
        match target {
            "AWS::Region" => return Ok(json!(self.region)),
            "AWS::AccountId" => return Ok(json!(ACCOUNT)),
            "AWS::Partition" => return Ok(json!("aws")),
            "AWS::URLSuffix" => return Ok(json!("amazonaws.com")),
            "AWS::StackName" => return Ok(json!("stack")),
            "AWS::NoValue" => return Ok(Value::Null),
            _ => {}
        }
        if let Some(p) = self.parameters.and_then(|p| p.get(target)) {
            return match p.get("Default") {
                Some(d) => self.at(d, path, depth),
                None => Err(self.error(
                    path,
                    format!("parameter {target} has no Default: write its value out"),
                )),
            };
        }
        let (ty, props) = self.resource(target, path)?;
        let prop = |key: &str| -> Result<Option<Value>, ImportError> {
            props
                .get(key)
                .map(|v| self.at(v, &format!("Resources.{target}.Properties.{key}"), depth))
                .transpose()
        };
        let named = |key: &str| -> Result<Value, ImportError> {
            Ok(prop(key)?.unwrap_or_else(|| json!(target)))
        };
        match ty {
            "AWS::Cognito::UserPool" => Ok(json!(self.pool_id(target))),
            "AWS::Cognito::UserPoolClient" => Ok(json!(target)),
            "AWS::Cognito::UserPoolIdentityProvider" => named("ProviderName"),
            "AWS::Cognito::UserPoolGroup" => named("GroupName"),
            "AWS::Cognito::UserPoolDomain" => named("Domain"),
            "AWS::Lambda::Function" => named("FunctionName"),
            other => Err(self.error(
                path,
                format!("Ref to {target} ({other}) is not resolved by the importer"),
            )),
        }
    }

    fn attribute(
        &self,
        target: &str,
        attr: &str,
        path: &str,
        depth: usize,
    ) -> Result<Value, ImportError> {
        let (ty, _) = self.resource(target, path)?;
        let region = &self.region;
        let value = match (ty, attr) {
            ("AWS::Lambda::Function", "Arn") => {
                let name = self.reference(target, path, depth)?;
                let name = name.as_str().unwrap_or(target);
                format!("arn:aws:lambda:{region}:{ACCOUNT}:function:{name}")
            }
            ("AWS::Cognito::UserPool", "Arn") => {
                format!(
                    "arn:aws:cognito-idp:{region}:{ACCOUNT}:userpool/{}",
                    self.pool_id(target)
                )
            }
            ("AWS::Cognito::UserPool", "ProviderName") => {
                format!(
                    "cognito-idp.{region}.amazonaws.com/{}",
                    self.pool_id(target)
                )
            }
            ("AWS::Cognito::UserPool", "ProviderURL") => {
                format!(
                    "https://cognito-idp.{region}.amazonaws.com/{}",
                    self.pool_id(target)
                )
            }
            ("AWS::Cognito::UserPool", "UserPoolId") => self.pool_id(target),
            ("AWS::Cognito::UserPoolClient", "ClientId") => target.to_owned(),
            _ => {
                return Err(self.error(
                    path,
                    format!("Fn::GetAtt {target}.{attr} ({ty}) is not resolved by the importer"),
                ));
            }
        };
        Ok(json!(value))
    }

    /// A resource's type and properties.
    pub fn resource(
        &self,
        logical: &str,
        path: &str,
    ) -> Result<(&'a str, &'a Map<String, Value>), ImportError> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let r = self.resources.get(logical).ok_or_else(|| {
            self.error(
                path,
                format!("{logical} is not a resource of this template"),
            )
        })?;
        let ty = r.get("Type").and_then(Value::as_str).unwrap_or("");
        let props = r
            .get("Properties")
            .and_then(Value::as_object)
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new));
        Ok((ty, props))
    }

    fn strings(&self, arg: &Value, path: &str, depth: usize) -> Result<Vec<String>, ImportError> {
        let resolved = self.at(arg, path, depth)?;
        let items = resolved
            .as_array()
            .ok_or_else(|| self.error(path, "expected a list"))?;
        items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(self.error(path, "expected a list of strings")),
            })
            .collect()
    }

    fn join(&self, arg: &Value, path: &str, depth: usize) -> Result<Value, ImportError> {
        let (Some(sep), Some(list)) = (arg.get(0).and_then(Value::as_str), arg.get(1)) else {
            return Err(self.error(path, "Fn::Join takes [delimiter, [values]]"));
        };
        Ok(json!(self.strings(list, path, depth)?.join(sep)))
    }

    fn select(&self, arg: &Value, path: &str, depth: usize) -> Result<Value, ImportError> {
        let index = arg
            .get(0)
            .and_then(|i| i.as_u64().or_else(|| i.as_str()?.parse().ok()));
        let (Some(index), Some(list)) = (index, arg.get(1)) else {
            return Err(self.error(path, "Fn::Select takes [index, [values]]"));
        };
        let list = self.at(list, path, depth)?;
        list.get(index as usize)
            .cloned()
            .ok_or_else(|| self.error(path, format!("Fn::Select: no value at index {index}")))
    }

    fn sub(&self, arg: &Value, path: &str, depth: usize) -> Result<Value, ImportError> {
        let (text, vars) = match arg {
            Value::String(s) => (s.as_str(), None),
            Value::Array(a) => match (a.first().and_then(Value::as_str), a.get(1)) {
                (Some(s), vars) => (s, vars.and_then(Value::as_object)),
                _ => {
                    return Err(self.error(path, "Fn::Sub takes a string or [string, {variables}]"));
                }
            },
            _ => return Err(self.error(path, "Fn::Sub takes a string or [string, {variables}]")),
        };
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| self.error(path, "Fn::Sub: unclosed ${"))?;
            let name = &after[..end];
            out.push_str(&self.sub_variable(name, vars, path, depth)?);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(json!(out))
    }

    fn sub_variable(
        &self,
        name: &str,
        vars: Option<&Map<String, Value>>,
        path: &str,
        depth: usize,
    ) -> Result<String, ImportError> {
        if let Some(literal) = name.strip_prefix('!') {
            return Ok(format!("${{{literal}}}"));
        }
        let value = match (vars.and_then(|v| v.get(name)), name.split_once('.')) {
            (Some(v), _) => self.at(v, path, depth)?,
            (None, Some((target, attr))) => self.attribute(target, attr, path, depth)?,
            (None, None) => self.reference(name, path, depth)?,
        };
        match value {
            Value::String(s) => Ok(s),
            other => Ok(other.to_string()),
        }
    }
}

fn is_intrinsic(map: &Map<String, Value>) -> bool {
    map.keys().all(|k| k == "Ref" || k.starts_with("Fn::"))
}

fn get_att_args(arg: &Value) -> Option<(String, String)> {
    match arg {
        Value::String(s) => s.split_once('.').map(|(a, b)| (a.to_owned(), b.to_owned())),
        Value::Array(a) => Some((
            a.first()?.as_str()?.to_owned(),
            a.get(1)?.as_str()?.to_owned(),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: Value, expect: Result<Value, &str>) {
        let top = json!({
            "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
            "Resources": {
                "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {}},
                "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": {"Fn::Sub": "link-${Stage}"}}},
                "Idp": {"Type": "AWS::Cognito::UserPoolIdentityProvider", "Properties": {"ProviderName": "Mosaic"}},
                "Loop": {"Type": "AWS::Cognito::UserPoolGroup", "Properties": {"GroupName": {"Ref": "Loop"}}},
            },
        });
        let resources = top["Resources"].as_object().unwrap();
        let t = Template::new("t.json", resources, &top);
        match (t.resolve(&value, "P"), expect) {
            (Ok(got), Ok(want)) => assert_eq!(got, want),
            (Err(e), Err(want)) => assert!(e.to_string().contains(want), "{e}"),
            (got, want) => panic!("{value}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn intrinsics_resolve_within_the_template() {
        check(json!({"Ref": "Pool"}), Ok(json!("us-east-1_Pool")));
        check(json!({"Ref": "Idp"}), Ok(json!("Mosaic")));
        check(
            json!({"Fn::GetAtt": ["Fn", "Arn"]}),
            Ok(json!(
                "arn:aws:lambda:us-east-1:000000000000:function:link-dev"
            )),
        );
        check(
            json!({"Fn::GetAtt": "Pool.ProviderURL"}),
            Ok(json!(
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool"
            )),
        );
        check(
            json!({"Fn::Join": ["", ["https://", {"Ref": "Stage"}, ".example.com"]]}),
            Ok(json!("https://dev.example.com")),
        );
        check(
            json!({"Fn::Sub": ["${A}-${Pool}-${!Literal}", {"A": "x"}]}),
            Ok(json!("x-us-east-1_Pool-${Literal}")),
        );
        check(json!({"Fn::Select": [1, ["a", "b"]]}), Ok(json!("b")));
        check(
            json!(["COGNITO", {"Ref": "AWS::NoValue"}]),
            Ok(json!(["COGNITO"])),
        );
        check(json!({"Ref": "Loop"}), Err("nest too deep"));
        check(
            json!({"Ref": "Nope"}),
            Err("P.Ref: Nope is not a resource of this template"),
        );
        check(
            json!({"Fn::GetAtt": ["Idp", "Arn"]}),
            Err("Fn::GetAtt Idp.Arn"),
        );
        check(
            json!({"Fn::ImportValue": "x"}),
            Err("Fn::ImportValue is not resolved"),
        );
    }
}
