//! The execution roles of Lambda triggers: each function's handler signs its calls back into
//! the pool with an access key of its own, and an operation its role does not allow is refused
//! with IAM's `AccessDeniedException`, as AWS refuses a function whose role lacks the action.
//!
//! A role is configured as the actions it allows (`[lambda_permissions]`, IAM's action syntax:
//! `cognito-idp:ListUsers`, wildcards `*` and `?`, case-insensitive). A function without an
//! entry may call every operation, as one whose role allows `cognito-idp:*` (and as the
//! emulator behaved before roles existed). Signatures are not verified: the key names the
//! caller, nothing more.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use super::error::{CognitoError, Exception};

/// The access key of a handler started for a target written directly (`node:<file>`, no ARN).
pub const ANONYMOUS_KEY: &str = "test";

/// Operations IAM never evaluates: Cognito authorizes them by the user's access token or a
/// client id (the "unauthenticated" and token-authorized operations of the API reference).
const NOT_IAM: &[&str] = &[
    "AssociateSoftwareToken",
    "ChangePassword",
    "CompleteWebAuthnRegistration",
    "ConfirmDevice",
    "ConfirmForgotPassword",
    "ConfirmSignUp",
    "DeleteUser",
    "DeleteUserAttributes",
    "DeleteWebAuthnCredential",
    "ForgetDevice",
    "ForgotPassword",
    "GetDevice",
    "GetTokensFromRefreshToken",
    "GetUser",
    "GetUserAttributeVerificationCode",
    "GetUserAuthFactors",
    "GlobalSignOut",
    "InitiateAuth",
    "ListDevices",
    "ListWebAuthnCredentials",
    "ResendConfirmationCode",
    "RespondToAuthChallenge",
    "RevokeToken",
    "SetUserMFAPreference",
    "SetUserSettings",
    "SignUp",
    "StartWebAuthnRegistration",
    "UpdateDeviceStatus",
    "UpdateUserAttributes",
    "VerifySoftwareToken",
    "VerifyUserAttribute",
];

/// The roles of the functions `[lambda_permissions]` names, by the access key their handlers
/// sign with: (Lambda ARN, allowed actions).
#[derive(Debug, Default)]
pub struct Roles {
    by_key: BTreeMap<String, (String, Vec<String>)>,
}

impl Roles {
    /// `allow`: Lambda ARN -> the actions its role allows.
    pub fn new(allow: BTreeMap<String, Vec<String>>) -> Self {
        let by_key = allow
            .into_iter()
            .map(|(arn, actions)| (Self::access_key(&arn), (arn, actions)))
            .collect();
        Self { by_key }
    }

    /// The access key id the handler of the function `arn` signs with: `ASIA` (AWS's prefix
    /// for temporary credentials, as Lambda hands out) and 16 characters derived from the ARN.
    /// Stable across restarts, and no secret: signatures are not checked.
    pub fn access_key(arn: &str) -> String {
        let digest = Sha256::digest(arn.as_bytes());
        let tail: String = digest[..8].iter().map(|b| format!("{b:02X}")).collect();
        format!("ASIA{tail}")
    }

    /// Refuses `operation` on `pool_id` when the request was signed by a function whose role
    /// does not allow `cognito-idp:<operation>` (and IAM evaluates that operation).
    pub fn authorize(
        &self,
        headers: &HeaderMap,
        operation: &str,
        region: &str,
        pool_id: Option<&str>,
    ) -> Result<(), CognitoError> {
        let Some(key) = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(access_key_of)
        else {
            return Ok(());
        };
        let Some((arn, allowed)) = self.by_key.get(key) else {
            return Ok(());
        };
        if NOT_IAM.contains(&operation) {
            return Ok(());
        }
        let action = format!("cognito-idp:{operation}");
        if allows(allowed, &action) {
            return Ok(());
        }
        Err(CognitoError::new(
            Exception::AccessDenied,
            denied_message(arn, &action, region, pool_id),
        )
        .with_check(format!(
            "[lambda_permissions] of {arn} allows {allowed:?}, not {action}"
        )))
    }
}

/// IAM's wording: the caller (the function's assumed role), the action, the resource, and why.
/// The role's name is not configured: Lambda's console names it `<function>-role-<suffix>`;
/// the emulator says `<function>-role`.
fn denied_message(arn: &str, action: &str, region: &str, pool_id: Option<&str>) -> String {
    let parts: Vec<&str> = arn.split(':').collect();
    let account = parts.get(4).copied().unwrap_or("000000000000");
    let function = parts.get(6).copied().unwrap_or("function");
    let resource = match pool_id {
        Some(pool) => format!("arn:aws:cognito-idp:{region}:{account}:userpool/{pool}"),
        None => "*".to_owned(),
    };
    format!(
        "User: arn:aws:sts::{account}:assumed-role/{function}-role/{function} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action"
    )
}

/// Whether a role allowing `allowed` may perform `action` (`cognito-idp:ListUsers`).
pub fn allows(allowed: &[String], action: &str) -> bool {
    allowed.iter().any(|p| action_matches(p, action))
}

/// The access key id of a SigV4 `Authorization` header
/// (`AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ...`).
fn access_key_of(authorization: &str) -> Option<&str> {
    let credential = authorization.split("Credential=").nth(1)?;
    credential.split('/').next().filter(|k| !k.is_empty())
}

/// IAM's action matching: case-insensitive, `*` any run of characters, `?` any one (greedy
/// with one backtrack point, so linear in practice whatever the pattern).
fn action_matches(pattern: &str, action: &str) -> bool {
    let (p, a) = (pattern.as_bytes(), action.as_bytes());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < a.len() {
        if i < p.len() && (p[i] == b'?' || p[i].eq_ignore_ascii_case(&a[j])) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            star = Some((si, sj + 1));
            i = si + 1;
            j = sj + 1;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:link";

    fn signed_by(key: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = format!(
            "AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=00"
        );
        h.insert("authorization", HeaderValue::from_str(&v).unwrap());
        h
    }

    fn roles(allow: &[&str]) -> Roles {
        Roles::new(BTreeMap::from([(
            ARN.to_owned(),
            allow.iter().map(|s| s.to_string()).collect(),
        )]))
    }

    #[test]
    fn a_role_allows_its_actions_and_refuses_the_rest_by_name() {
        let r = roles(&["cognito-idp:ListUsers"]);
        let h = signed_by(&Roles::access_key(ARN));
        assert!(r.authorize(&h, "ListUsers", "us-east-1", Some("p")).is_ok());
        let e = r
            .authorize(
                &h,
                "AdminLinkProviderForUser",
                "us-east-1",
                Some("us-east-1_X"),
            )
            .unwrap_err();
        assert_eq!(e.exception.name(), "AccessDeniedException");
        assert_eq!(
            e.message,
            "User: arn:aws:sts::123456789012:assumed-role/link-role/link is not authorized to perform: cognito-idp:AdminLinkProviderForUser on resource: arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_X because no identity-based policy allows the cognito-idp:AdminLinkProviderForUser action"
        );
        assert!(e.check.unwrap().contains("ListUsers"));
    }

    #[test]
    fn other_callers_and_unlisted_functions_are_not_restricted() {
        let r = roles(&[]);
        for h in [HeaderMap::new(), signed_by("test"), signed_by("AKIAOTHER")] {
            assert!(
                r.authorize(&h, "AdminDeleteUser", "us-east-1", None)
                    .is_ok()
            );
        }
        // Operations Cognito authorizes by token or client id, not IAM.
        let own = signed_by(&Roles::access_key(ARN));
        assert!(r.authorize(&own, "GetUser", "us-east-1", None).is_ok());
        assert!(r.authorize(&own, "InitiateAuth", "us-east-1", None).is_ok());
        assert!(r.authorize(&own, "ListUsers", "us-east-1", None).is_err());
        let other = Roles::access_key("arn:aws:lambda:us-east-1:1:function:other");
        assert!(r.authorize(&signed_by(&other), "X", "r", None).is_ok());
        assert_ne!(other, Roles::access_key(ARN));
        assert!(Roles::access_key(ARN).starts_with("ASIA") && Roles::access_key(ARN).len() == 20);
    }

    #[test]
    fn iam_wildcards_case_insensitive() {
        for (p, a, m) in [
            ("cognito-idp:*", "cognito-idp:ListUsers", true),
            ("*", "cognito-idp:ListUsers", true),
            (
                "cognito-idp:Admin*",
                "cognito-idp:AdminLinkProviderForUser",
                true,
            ),
            ("cognito-idp:Admin*", "cognito-idp:ListUsers", false),
            ("COGNITO-IDP:listusers", "cognito-idp:ListUsers", true),
            ("cognito-idp:List?sers", "cognito-idp:ListUsers", true),
            ("cognito-idp:ListUser", "cognito-idp:ListUsers", false),
            ("s3:*", "cognito-idp:ListUsers", false),
        ] {
            assert_eq!(action_matches(p, a), m, "{p} {a}");
        }
    }

    #[test]
    fn access_keys_in_authorization_headers() {
        assert_eq!(
            access_key_of("AWS4-HMAC-SHA256 Credential=ASIAX/2026/r/s/aws4_request, Sig=1"),
            Some("ASIAX")
        );
        assert_eq!(access_key_of("Bearer x"), None);
        assert_eq!(access_key_of("Credential=/x"), None);
    }
}
