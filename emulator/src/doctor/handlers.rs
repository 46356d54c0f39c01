//! Static checks of a trigger handler's source (JavaScript or Python): the guide's placeholder,
//! and how it calls AdminLinkProviderForUser (what it names, whether it throws afterwards,
//! whether it swallows the call's errors). Text heuristics over the source with its comments
//! blanked out, never an interpreter: each finding names the file and line.

use super::Finding;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Js,
    Python,
}

/// The findings for handler `file` (its name decides the language: `.py` is Python).
pub fn check(file: &str, source: &str) -> Vec<Finding> {
    let lang = if file.ends_with(".py") {
        Lang::Python
    } else {
        Lang::Js
    };
    let code = strip_comments(source, lang);
    let at = |offset: usize| format!("{file}:{}", line_of(&code, offset));
    let mut out = Vec::new();
    for quote in ['\'', '"', '`'] {
        let literal = format!("{quote}providerName{quote}");
        for (offset, _) in code.match_indices(&literal) {
            out.push(Finding::new(
                "provider-name-placeholder",
                at(offset),
                format!(
                    "{file} passes the string literal {literal} where the provider's name belongs."
                ),
            ));
        }
    }
    let Some(call) = link_calls(&code).first().copied() else {
        return out;
    };
    attributes(&code, &at, &mut out);
    let after = &code[call..];
    let blocks = error_blocks(after, lang);
    for &(start, end) in &blocks {
        if !fails(&after[start..end], lang) {
            out.push(Finding::new(
                "link-error-swallowed",
                at(call + start),
                format!(
                    "{file}: this error branch after AdminLinkProviderForUser (line {}) neither rethrows nor fails the callback.",
                    line_of(&code, call)
                ),
            ));
        }
    }
    let mut rest = after.to_owned();
    for &(start, end) in &blocks {
        rest.replace_range(start..end, &" ".repeat(end - start));
    }
    if !fails(&rest, lang) && !rest.contains("new Error(") {
        out.push(Finding::new(
            "link-without-throw",
            at(call),
            format!("{file} calls AdminLinkProviderForUser here and never throws afterwards."),
        ));
    }
    out
}

/// Offsets of the calls of AdminLinkProviderForUser (SDK v2 and v3, boto3).
fn link_calls(code: &str) -> Vec<usize> {
    calls_of(&code.to_ascii_lowercase(), "AdminLinkProviderForUser")
}

/// The user-pool operations `source` calls, each with the line of its first call: SDK v3's
/// `new <Op>Command(` and `paginate<Op>(`, v2's `.<op>(`, boto3's `.<snake_op>(` and
/// `get_paginator('<snake_op>')`.
pub fn operations(file: &str, source: &str) -> Vec<(&'static str, usize)> {
    let lang = if file.ends_with(".py") {
        Lang::Python
    } else {
        Lang::Js
    };
    let code = strip_comments(source, lang);
    let lower = code.to_ascii_lowercase();
    crate::cognito::api::Operation::ALL
        .iter()
        .filter_map(|op| {
            let first = calls_of(&lower, op.name()).first().copied()?;
            Some((op.name(), line_of(&code, first)))
        })
        .collect()
}

/// Offsets of the calls of the operation `op` in `lower` (the source in lower case): its name,
/// or boto3's snake-case name, as a call (`Command` after it for SDK v3, `paginate` before it
/// for a v3 paginator), or named to boto3's `get_paginator`; not a definition of a function
/// of that name.
fn calls_of(lower: &str, op: &str) -> Vec<usize> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let snake = snake_case(op);
    let mut out = Vec::new();
    for name in [op.to_ascii_lowercase(), snake.clone()] {
        for (offset, _) in lower.match_indices(&name) {
            let before = lower[..offset]
                .strip_suffix("paginate")
                .unwrap_or(&lower[..offset]);
            if before.chars().next_back().is_some_and(ident) {
                continue;
            }
            let defined = before.trim_end();
            if defined.ends_with("function") || defined.ends_with("def") {
                continue;
            }
            let tail = &lower[offset + name.len()..];
            let tail = tail.strip_prefix("command").unwrap_or(tail);
            if tail.trim_start().starts_with('(') {
                out.push(offset);
            }
        }
    }
    for quote in ['\'', '"'] {
        let paginator = format!("get_paginator({quote}{snake}{quote}");
        out.extend(lower.match_indices(&paginator).map(|(o, _)| o));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// boto3's method name of an operation, as botocore's `xform_name` makes it: a break before
/// a capital that starts a word, and between a lower-case letter or digit and a capital
/// (`SetUserMFAPreference` -> `set_user_mfa_preference`).
fn snake_case(op: &str) -> String {
    let c: Vec<char> = op.chars().collect();
    let mut out = String::new();
    for (i, &ch) in c.iter().enumerate() {
        let starts_word = i > 0
            && ch.is_ascii_uppercase()
            && (c[i - 1].is_ascii_lowercase()
                || c[i - 1].is_ascii_digit()
                || c.get(i + 1).is_some_and(char::is_ascii_lowercase));
        if starts_word {
            out.push('_');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

/// DestinationUser named by a `sub`, SourceUser by another attribute than Cognito_Subject.
fn attributes(code: &str, at: &dyn Fn(usize) -> String, out: &mut Vec<Finding>) {
    for (offset, _) in code.match_indices("DestinationUser") {
        if let Some((v, value)) = member(code, offset, "ProviderAttributeValue")
            && value.to_ascii_lowercase().contains("sub")
        {
            out.push(Finding::new(
                "link-wrong-attribute",
                at(v),
                format!(
                    "DestinationUser.ProviderAttributeValue is `{value}`, a sub, not the native user's username (it works only where the username happens to be the sub)."
                ),
            ));
        }
    }
    for (offset, _) in code.match_indices("SourceUser") {
        if let Some((v, value)) = member(code, offset, "ProviderAttributeName") {
            let literal = value.trim_matches(|c| c == '\'' || c == '"' || c == '`');
            if literal != value && literal != "Cognito_Subject" {
                out.push(Finding::new(
                    "link-wrong-attribute",
                    at(v),
                    format!(
                        "SourceUser.ProviderAttributeName is {value}, not 'Cognito_Subject' (the OIDC provider's sub)."
                    ),
                ));
            }
        }
    }
}

/// The value of `key` in the object literal that follows `offset`: its offset and its text.
fn member(code: &str, offset: usize, key: &str) -> Option<(usize, String)> {
    let open = offset + code[offset..].find('{')?;
    let close = matching(code, open)?;
    let object = &code[open..close];
    let k = object.find(key)?;
    let rest = &object[k + key.len()..];
    let colon = rest.find(':')?;
    let value = &rest[colon + 1..];
    let end = value.find([',', '\n', '}']).unwrap_or(value.len());
    Some((open + k, value[..end].trim().to_owned()))
}

/// The offset of the `}` matching the `{` at `open`.
fn matching(code: &str, open: usize) -> Option<usize> {
    matching_pair(code, open, '{', '}')
}

/// The offset of the `close` matching the `open` bracket at `at`.
fn matching_pair(code: &str, at: usize, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in code[at..].char_indices() {
        match c {
            c if c == open => depth += 1,
            c if c == close => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(at + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The error branches in `code` (byte ranges): `catch` blocks and `if (err...)` blocks in
/// JavaScript, `except` blocks in Python.
fn error_blocks(code: &str, lang: Lang) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    match lang {
        Lang::Js => {
            for (offset, _) in words(code, "catch") {
                out.extend(js_block(code, offset + 5));
            }
            for (offset, _) in words(code, "if") {
                let rest = code[offset + 2..].trim_start();
                let Some(cond) = rest.strip_prefix('(') else {
                    continue;
                };
                let cond = cond.split(')').next().unwrap_or("").trim();
                if !cond.starts_with('!') && cond.to_ascii_lowercase().contains("err") {
                    out.extend(js_block(code, offset + 2));
                }
            }
        }
        Lang::Python => {
            for (offset, _) in words(code, "except") {
                let line_start = code[..offset].rfind('\n').map_or(0, |n| n + 1);
                let indent = offset - line_start;
                if !code[line_start..offset].trim().is_empty() {
                    continue;
                }
                let body = code[offset..]
                    .find('\n')
                    .map_or(code.len(), |n| offset + n + 1);
                let mut end = body;
                for line in code[body..].split_inclusive('\n') {
                    let depth = line.len() - line.trim_start().len();
                    if !line.trim().is_empty() && depth <= indent {
                        break;
                    }
                    end += line.len();
                }
                out.push((offset, end));
            }
        }
    }
    out.sort_unstable();
    // Nested ranges: keep the outer one.
    let mut kept: Vec<(usize, usize)> = Vec::new();
    for r in out {
        if kept.last().is_none_or(|k| r.0 >= k.1) {
            kept.push(r);
        }
    }
    kept
}

/// The block that follows `from` (after an optional `(...)`): `{...}`, or else the statement
/// up to `;` or the end of the line (`.catch(console.error)`, `if (err) return cb(null)`).
fn js_block(code: &str, from: usize) -> Option<(usize, usize)> {
    let skip = |at: usize| at + (code[at..].len() - code[at..].trim_start().len());
    let mut pos = skip(from);
    if code[pos..].starts_with('(') {
        pos = skip(matching_pair(code, pos, '(', ')')? + 1);
    }
    if code[pos..].starts_with('{') {
        return Some((from, matching(code, pos)? + 1));
    }
    let end = code[pos..]
        .find([';', '\n'])
        .map_or(code.len(), |e| pos + e);
    Some((from, end))
}

/// Whether `code` fails the invocation: a throw, a raise, a rejection, or a callback with an
/// error.
fn fails(code: &str, lang: Lang) -> bool {
    match lang {
        Lang::Python => words(code, "raise").next().is_some(),
        Lang::Js => {
            words(code, "throw").next().is_some()
                || code.contains("reject(")
                || ["callback", "cb", "done"].iter().any(|name| {
                    words(code, name).any(|(offset, _)| {
                        let arg = code[offset + name.len()..].trim_start();
                        arg.strip_prefix('(').is_some_and(|a| {
                            let first = a.split([',', ')']).next().unwrap_or("").trim();
                            !first.is_empty() && first != "null" && first != "undefined"
                        })
                    })
                })
        }
    }
}

/// Occurrences of `word` as a whole identifier.
fn words<'a>(code: &'a str, word: &'a str) -> impl Iterator<Item = (usize, &'a str)> + 'a {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    code.match_indices(word).filter(move |(offset, _)| {
        let before = code[..*offset].chars().next_back();
        let after = code[offset + word.len()..].chars().next();
        !before.is_some_and(|c| ident(c) || c == '.') && !after.is_some_and(ident)
    })
}

fn line_of(code: &str, offset: usize) -> usize {
    code.as_bytes()[..offset.min(code.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// `source` with its comments replaced by spaces (newlines kept, so offsets keep their line),
/// strings and (JavaScript) regular expression literals left as they are.
fn strip_comments(source: &str, lang: Lang) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut last_code = '\n';
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let comment_start = match lang {
            Lang::Js => c == '/' && (next == Some('/') || next == Some('*')),
            Lang::Python => c == '#',
        };
        if comment_start {
            let block = lang == Lang::Js && next == Some('*');
            while i < chars.len() {
                let end = if block {
                    chars[i] == '*' && chars.get(i + 1) == Some(&'/')
                } else {
                    chars[i] == '\n'
                };
                if end && block {
                    out.push_str("  ");
                    i += 2;
                    break;
                }
                if end {
                    break;
                }
                out.push(blank(chars[i]));
                i += 1;
            }
            continue;
        }
        let regex = lang == Lang::Js && c == '/' && "(,=:[!&|?{};\n".contains(last_code);
        if c == '"' || c == '\'' || c == '`' || regex {
            let close = c;
            out.push(c);
            i += 1;
            let mut class = false;
            while i < chars.len() {
                let d = chars[i];
                out.push(d);
                i += 1;
                if d == '\\' {
                    if let Some(&e) = chars.get(i) {
                        out.push(e);
                        i += 1;
                    }
                    continue;
                }
                if regex && d == '[' {
                    class = true;
                } else if regex && d == ']' {
                    class = false;
                } else if (d == close && !class) || (d == '\n' && close != '`' && lang == Lang::Js)
                {
                    break;
                }
            }
            last_code = close;
            continue;
        }
        out.push(c);
        if !c.is_whitespace() || c == '\n' {
            last_code = c;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUIDE: &str = include_str!("../../../fixtures/lambda/link-guide.js");
    const CORRECTED: &str = include_str!("../../../fixtures/lambda/link-corrected.js");

    fn ids(file: &str, source: &str) -> Vec<&'static str> {
        check(file, source).into_iter().map(|f| f.id).collect()
    }

    #[test]
    fn the_guides_lambda_has_the_placeholder_and_swallows_errors() {
        let found = check("link-guide.js", GUIDE);
        let ids: Vec<_> = found.iter().map(|f| f.id).collect();
        assert_eq!(
            ids,
            ["provider-name-placeholder", "link-error-swallowed"],
            "{found:#?}"
        );
        // The placeholder in the code, not the one in the comment at the top.
        assert_eq!(found[0].location, "link-guide.js:33");
        assert_eq!(found[1].location, "link-guide.js:37");
    }

    #[test]
    fn the_operations_a_handler_calls_in_each_sdk() {
        assert_eq!(
            operations("link-corrected.js", CORRECTED),
            [("ListUsers", 22), ("AdminLinkProviderForUser", 29)]
        );
        let py = include_str!("../../../fixtures/lambda/link-corrected.py");
        let ops: Vec<_> = operations("h.py", py).into_iter().map(|o| o.0).collect();
        assert_eq!(ops, ["ListUsers", "AdminLinkProviderForUser"]);
        let v2 = "cognito.adminGetUser({}).promise(); // cognito.listUsers()\n";
        assert_eq!(operations("h.js", v2), [("AdminGetUser", 1)]);
        // Another operation's name starting alike, an import, a definition: not calls of
        // ListUsers.
        let not = "listUsersInGroup(x); const { ListUsersCommand } = m; function listUsers(p) {}";
        let ops: Vec<_> = operations("h.js", not).into_iter().map(|o| o.0).collect();
        assert_eq!(ops, ["ListUsersInGroup"]);
        // Paginators, and boto3's names of operations with an acronym.
        let js = "for await (const p of paginateListUsers({ client }, {})) {}";
        assert_eq!(operations("h.js", js), [("ListUsers", 1)]);
        let py = "def list_users(e):\n    c.get_paginator('list_users')\n    c.admin_set_user_mfa_preference(U=1)\n";
        assert_eq!(
            operations("h.py", py),
            [("ListUsers", 2), ("AdminSetUserMFAPreference", 3)]
        );
        assert_eq!(
            snake_case("SetUserMFAPreference"),
            "set_user_mfa_preference"
        );
        assert_eq!(
            snake_case("AdminLinkProviderForUser"),
            "admin_link_provider_for_user"
        );
    }

    #[test]
    fn the_corrected_lambda_is_clean() {
        assert_eq!(ids("link-corrected.js", CORRECTED), Vec::<&str>::new());
    }

    #[test]
    fn linking_then_returning_the_event_is_link_without_throw() {
        let broken = CORRECTED.replace(
            "  throw new Error('re_authentication_required');",
            "  return event;",
        );
        assert_ne!(broken, CORRECTED);
        assert_eq!(ids("h.js", &broken), ["link-without-throw"]);
    }

    #[test]
    fn a_catch_without_rethrow_is_swallowed() {
        let broken = CORRECTED.replace(
            "  await client.send(new AdminLinkProviderForUserCommand({",
            "  try { await client.send(new AdminLinkProviderForUserCommand({",
        );
        let broken = broken.replace(
            "  }));\n  throw",
            "  })); } catch (e) { console.error(e); }\n  throw",
        );
        assert_eq!(ids("h.js", &broken), ["link-error-swallowed"]);
        let rethrown = broken.replace("console.error(e); }", "console.error(e); throw e; }");
        assert_eq!(ids("h.js", &rethrown), Vec::<&str>::new());
    }

    #[test]
    fn linking_by_sub_is_the_wrong_attribute() {
        let broken = CORRECTED.replace(
            "ProviderAttributeValue: native.Username",
            "ProviderAttributeValue: native.Attributes.find((a) => a.Name === 'sub').Value",
        );
        assert_eq!(ids("h.js", &broken), ["link-wrong-attribute"]);
        let broken = CORRECTED.replace(
            "ProviderAttributeName: 'Cognito_Subject'",
            "ProviderAttributeName: 'email'",
        );
        assert_eq!(ids("h.js", &broken), ["link-wrong-attribute"]);
    }

    const PY_FIXED: &str = r#"
import boto3
# ProviderName: 'providerName' was the guide's mistake
client = boto3.client("cognito-idp")

def handler(event, context):
    provider, subject = event["userName"].split("_", 1)
    client.admin_link_provider_for_user(
        UserPoolId=event["userPoolId"],
        DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": "jane"},
        SourceUser={"ProviderName": provider, "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": subject},
    )
    raise Exception("re_authentication_required")
"#;

    #[test]
    fn python_handlers() {
        assert_eq!(ids("h.py", PY_FIXED), Vec::<&str>::new());
        let placeholder = PY_FIXED.replace(
            "\"ProviderName\": provider",
            "\"ProviderName\": 'providerName'",
        );
        assert_eq!(ids("h.py", &placeholder), ["provider-name-placeholder"]);
        let no_raise = PY_FIXED.replace(
            "    raise Exception(\"re_authentication_required\")\n",
            "    return event\n",
        );
        assert_eq!(ids("h.py", &no_raise), ["link-without-throw"]);
        let swallowed = PY_FIXED
            .replace("    client.admin_link", "    try:\n      client.admin_link")
            .replace(
                "    )\n    raise",
                "    )\n    except Exception as e:\n        print(e)\n    raise",
            );
        assert_eq!(ids("h.py", &swallowed), ["link-error-swallowed"]);
    }

    #[test]
    fn any_input_is_safe() {
        for s in [
            "",
            "{",
            "}",
            "adminLinkProviderForUser(",
            "DestinationUser {",
            "if (err",
            "catch",
            "/",
            "'",
            "é/*",
            "except:",
            "SourceUser{ProviderAttributeName:",
        ] {
            let _ = check("x.js", s);
            let _ = check("x.py", s);
        }
    }
}
