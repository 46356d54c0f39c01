//! ListUsers `Filter` grammar: parse `attr op "value"` into a typed query (pure, no I/O).
//!
//! Grammar (whitespace around the operator and at both ends is optional):
//! `filter := ws* name ws* ("=" | "^=") ws* '"' (char | '\' char)* '"' ws*`.
//! A backslash takes the next character literally (`\"` -> `"`, `\\` -> `\`).
//! Syntax is checked before the attribute name, so `custom:foo = "x"` reports the attribute
//! while `custom:foo "x"` reports a parse error.

use std::fmt;

/// Maximum filter length, in characters, as enforced by Cognito's input validation.
pub const MAX_FILTER_LEN: usize = 256;

const PARSE_ERROR: &str = "Error while parsing filter.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchAttribute {
    Username,
    Email,
    PhoneNumber,
    Name,
    GivenName,
    FamilyName,
    PreferredUsername,
    UserStatus,
    Status,
    Sub,
}

impl SearchAttribute {
    pub const ALL: [SearchAttribute; 10] = [
        Self::Username,
        Self::Email,
        Self::PhoneNumber,
        Self::Name,
        Self::GivenName,
        Self::FamilyName,
        Self::PreferredUsername,
        Self::UserStatus,
        Self::Status,
        Self::Sub,
    ];

    /// The wire name used in the filter string.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Email => "email",
            Self::PhoneNumber => "phone_number",
            Self::Name => "name",
            Self::GivenName => "given_name",
            Self::FamilyName => "family_name",
            Self::PreferredUsername => "preferred_username",
            Self::UserStatus => "cognito:user_status",
            Self::Status => "status",
            Self::Sub => "sub",
        }
    }

    /// True for standard attributes stored as user attributes (not username/status/sub).
    pub fn is_user_attribute(&self) -> bool {
        matches!(
            self,
            Self::Email
                | Self::PhoneNumber
                | Self::Name
                | Self::GivenName
                | Self::FamilyName
                | Self::PreferredUsername
        )
    }

    /// Exact (case-sensitive) lookup of a wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchType {
    Exact,
    Prefix,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub attribute: SearchAttribute,
    pub match_type: MatchType,
    /// The value with backslash escapes removed.
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterErrorKind {
    TooLong,
    Syntax,
    InvalidAttribute,
}

/// All kinds map to `InvalidParameterException`; `message` is Cognito's wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub kind: FilterErrorKind,
    pub message: String,
}

impl FilterError {
    fn syntax() -> Self {
        Self {
            kind: FilterErrorKind::Syntax,
            message: PARSE_ERROR.to_string(),
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FilterError {}

/// Parses a ListUsers filter. `Ok(None)` means no filter (empty or whitespace only).
/// The filter as a client writes it: `name = "value"` or `name ^= "value"`, with `"` and `\`
/// escaped by a backslash; [`parse`] reads it back to the same filter.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.match_type {
            MatchType::Exact => "=",
            MatchType::Prefix => "^=",
        };
        write!(f, "{} {op} \"", self.attribute.as_str())?;
        for c in self.value.chars() {
            if c == '"' || c == '\\' {
                f.write_str("\\")?;
            }
            write!(f, "{c}")?;
        }
        f.write_str("\"")
    }
}

pub fn parse(input: &str) -> Result<Option<Filter>, FilterError> {
    if input.chars().count() > MAX_FILTER_LEN {
        return Err(FilterError {
            kind: FilterErrorKind::TooLong,
            message: format!(
                "1 validation error detected: Value '{input}' at 'filter' failed to satisfy \
                 constraint: Member must have length less than or equal to {MAX_FILTER_LEN}"
            ),
        });
    }
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let name_end = s
        .find(|c: char| c.is_whitespace() || c == '=' || c == '^' || c == '"')
        .ok_or_else(FilterError::syntax)?;
    let (name, rest) = s.split_at(name_end);
    if name.is_empty() {
        return Err(FilterError::syntax());
    }
    let rest = rest.trim_start();
    let (match_type, rest) = if let Some(r) = rest.strip_prefix("^=") {
        (MatchType::Prefix, r)
    } else if let Some(r) = rest.strip_prefix('=') {
        (MatchType::Exact, r)
    } else {
        return Err(FilterError::syntax());
    };
    let rest = rest
        .trim_start()
        .strip_prefix('"')
        .ok_or_else(FilterError::syntax)?;
    let mut value = String::new();
    let mut chars = rest.chars();
    loop {
        match chars.next() {
            None => return Err(FilterError::syntax()),
            Some('"') => break,
            Some('\\') => value.push(chars.next().ok_or_else(FilterError::syntax)?),
            Some(c) => value.push(c),
        }
    }
    // `s` is trimmed, so anything after the closing quote is extra text.
    if !chars.as_str().is_empty() {
        return Err(FilterError::syntax());
    }
    let attribute = SearchAttribute::from_name(name).ok_or_else(|| FilterError {
        kind: FilterErrorKind::InvalidAttribute,
        message: format!("Invalid search attribute: {name}"),
    })?;
    Ok(Some(Filter {
        attribute,
        match_type,
        value,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use FilterErrorKind::*;
    use MatchType::*;
    use SearchAttribute::*;

    #[derive(Clone, Copy)]
    enum Want {
        None,
        Ok(SearchAttribute, MatchType, &'static str),
        Err(FilterErrorKind, &'static str),
    }

    fn check(input: &str, expected: Want) {
        let got = parse(input);
        match expected {
            Want::None => assert_eq!(got, Ok(None), "input: {input:?}"),
            Want::Ok(attribute, match_type, value) => {
                let want = Filter {
                    attribute,
                    match_type,
                    value: value.to_string(),
                };
                assert_eq!(got, Ok(Some(want)), "input: {input:?}");
            }
            Want::Err(kind, message) => {
                let err = got
                    .err()
                    .unwrap_or_else(|| panic!("expected error for {input:?}"));
                assert_eq!(err.kind, kind, "input: {input:?}");
                assert_eq!(err.message, message, "input: {input:?}");
                assert_eq!(err.to_string(), message);
            }
        }
    }

    #[test]
    fn valid_filters() {
        #[rustfmt::skip]
        let cases: &[(&str, SearchAttribute, MatchType, &str)] = &[
            (r#"username = "alice""#, Username, Exact, "alice"),
            (r#"username ^= "al""#, Username, Prefix, "al"),
            (r#"email="a@b.c""#, Email, Exact, "a@b.c"),
            (r#"email^="a@""#, Email, Prefix, "a@"),
            (r#"phone_number = "+15555550100""#, PhoneNumber, Exact, "+15555550100"),
            (r#"phone_number^= "+1""#, PhoneNumber, Prefix, "+1"),
            (r#"name = "Jane Doe""#, Name, Exact, "Jane Doe"),
            (r#"given_name ^="Ja""#, GivenName, Prefix, "Ja"),
            (r#"family_name="Doe""#, FamilyName, Exact, "Doe"),
            (r#"preferred_username ^= "jd""#, PreferredUsername, Prefix, "jd"),
            (r#"cognito:user_status = "CONFIRMED""#, UserStatus, Exact, "CONFIRMED"),
            (r#"cognito:user_status^="force""#, UserStatus, Prefix, "force"),
            (r#"status = "Enabled""#, Status, Exact, "Enabled"),
            (r#"status ^= "Dis""#, Status, Prefix, "Dis"),
            (r#"sub = "0b5e4c1a-1111-2222""#, Sub, Exact, "0b5e4c1a-1111-2222"),
            (r#"sub^="0b5e""#, Sub, Prefix, "0b5e"),
            ("  \temail \t=\n \"x\"  \n", Email, Exact, "x"),
            (r#"name = "say \"hi\"""#, Name, Exact, r#"say "hi""#),
            (r#"name = "back\\slash""#, Name, Exact, r"back\slash"),
            (r#"name = "\\""#, Name, Exact, r"\"),
            (r#"name = "\"""#, Name, Exact, "\""),
            (r#"name = "\a""#, Name, Exact, "a"), // other escapes: next char literally
            (r#"name = "a=b ^= c""#, Name, Exact, "a=b ^= c"),
            (r#"name = "Zoë 山田 🎉""#, Name, Exact, "Zoë 山田 🎉"),
            (r#"email = """#, Email, Exact, ""),
            (r#"email ^= """#, Email, Prefix, ""),
            (r#"name = "  padded  ""#, Name, Exact, "  padded  "),
        ];
        for &(input, attr, match_type, value) in cases {
            check(input, Want::Ok(attr, match_type, value));
        }
    }

    #[test]
    fn empty_means_no_filter() {
        for input in ["", " ", "\t\n  "] {
            check(input, Want::None);
        }
    }

    #[test]
    fn malformed_filters() {
        let cases = [
            r#"email = "abc"#,               // unterminated quote
            r#"email = "abc\""#,             // escaped closing quote: unterminated
            r#"email = "abc\"#,              // trailing backslash
            r#"email = "a" x"#,              // text after closing quote
            r#"email = "a""b""#,             // second string
            r#"email "a""#,                  // missing operator
            r#"email"#,                      // name only
            r#"email ="#,                    // no value
            r#"email = abc"#,                // unquoted value
            r#"email = 'abc'"#,              // single quotes
            r#"email == "a""#,               // bad operator
            r#"email != "a""#,               // bad operator
            r#"email ^ "a""#,                // bad operator
            r#"email ~= "a""#,               // unknown operator
            r#"email = "a" and name = "b""#, // two filters
            r#"= "a""#,                      // missing name
            r#""a""#,                        // value only
            r#"^= "a""#,                     // missing name, prefix
        ];
        for input in cases {
            check(input, Want::Err(Syntax, "Error while parsing filter."));
        }
    }

    #[test]
    fn unknown_attributes() {
        for name in [
            "custom:foo",
            "address",
            "Email",
            "USERNAME",
            "email_verified",
            "sub:x",
        ] {
            let message = leak(format!("Invalid search attribute: {name}"));
            check(
                &format!("{name} ^= \"x\""),
                Want::Err(InvalidAttribute, message),
            );
        }
    }

    #[test]
    fn length_limit() {
        let head = r#"email = ""#;
        let fill = |total: usize, c: &str| c.repeat(total - head.len() - 1);
        let ok = format!("{head}{}\"", fill(256, "a"));
        assert_eq!(ok.chars().count(), 256);
        check(&ok, Want::Ok(Email, Exact, leak(fill(256, "a"))));
        // Counted in characters, not bytes.
        let ok_unicode = format!("{head}{}\"", fill(256, "é"));
        assert!(ok_unicode.len() > 256);
        check(&ok_unicode, Want::Ok(Email, Exact, leak(fill(256, "é"))));
        let long = format!("{head}{}\"", fill(257, "a"));
        let msg = format!(
            "1 validation error detected: Value '{long}' at 'filter' failed to satisfy \
             constraint: Member must have length less than or equal to 256"
        );
        check(&long, Want::Err(TooLong, leak(msg)));
        // Whitespace counts toward the limit, and even an all-blank overlong filter is rejected.
        let blank = " ".repeat(257);
        assert_eq!(parse(&blank).map_err(|e| e.kind), Err(TooLong));
    }

    #[test]
    fn attribute_names_round_trip() {
        for a in SearchAttribute::ALL {
            assert_eq!(SearchAttribute::from_name(a.as_str()), Some(a));
            let input = format!("{} = \"v\"", a.as_str());
            check(&input, Want::Ok(a, Exact, "v"));
        }
        let user_attrs = [
            Email,
            PhoneNumber,
            Name,
            GivenName,
            FamilyName,
            PreferredUsername,
        ];
        for a in SearchAttribute::ALL {
            assert_eq!(a.is_user_attribute(), user_attrs.contains(&a), "{a:?}");
        }
    }

    fn leak(s: String) -> &'static str {
        Box::leak(s.into_boxed_str())
    }
}
