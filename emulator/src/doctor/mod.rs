//! `emulator doctor`: a catalogue of named integration mistakes, each found statically (the
//! config, the trigger handlers' source) or in the journal of a run, with its symptom and fix.
//!
//! The checks are pure functions (`config.rs` over a parsed [`Config`], `handlers.rs` over a
//! handler's source text, `journal.rs` over journal events as JSON); [`static_checks`] is the
//! one place that reads files (the handler files the config names).

pub mod cli;
pub mod config;
pub mod handlers;
pub mod journal;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::Config;

/// One mistake found: which (its catalogue id and title), where, why it hurts, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub title: &'static str,
    /// What was found (naming the pool, client, provider, file or flow), then the symptom a
    /// developer sees.
    pub explanation: String,
    pub fix: String,
    /// Where: `pool us-east-1_X, provider Mosaic`, `handler.js:31`, `journal flow-4`.
    pub location: String,
}

/// A catalogue entry: a known integration mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Mistake {
    pub id: &'static str,
    pub title: &'static str,
    /// What a developer sees when the mistake is made.
    pub symptom: &'static str,
    pub fix: &'static str,
    /// Where the doctor looks: `config`, `handler`, `journal`, or several.
    pub found_in: &'static str,
}

macro_rules! catalogue {
    ($($id:literal, $found:literal, $title:literal, $symptom:literal, $fix:literal;)*) => {
        /// Every mistake the doctor knows, in priority order.
        pub const CATALOGUE: &[Mistake] = &[$(Mistake {
            id: $id, title: $title, symptom: $symptom, fix: $fix, found_in: $found,
        }),*];
    };
}

catalogue! {
    "provider-name-placeholder", "handler, journal",
    "The linking Lambda passes the literal 'providerName' as SourceUser.ProviderName",
    "AdminLinkProviderForUser is refused (InvalidParameterException: 'providerName' is not an identity provider of the pool); the guide's Lambda only logs it, so the user is not linked and a second user <Provider>_<sub> appears beside the native one.",
    "Use the provider taken from event.userName (the part before the first '_'), not the string 'providerName'.";
    "attribute-mapping-missing-email", "config",
    "The identity provider's attribute mapping has no `email`",
    "Federated users have no email: a PreSignUp Lambda that links by email finds nothing (event.request.userAttributes.email is undefined) and every IdP sign-in creates a separate user.",
    "Map the pool attribute `email` to the IdP's `email` claim (attribute_mapping = { email = \"email\", ... }).";
    "email-verified-not-mapped", "config",
    "`email_verified` is not mapped, so federated and linked users stay unverified",
    "Cognito sets email_verified=false on federated users unless it is mapped: ID tokens say the email is unverified, apps that require a verified email refuse those users, and users who signed in through the IdP before linking stay unverified.",
    "Add email_verified = \"email_verified\" to the provider's attribute_mapping (the IdP releases it with the email scope).";
    "callback-url-not-registered", "config, journal",
    "The app's callback URL is not registered on the app client",
    "/oauth2/authorize answers an error page (redirect_mismatch) instead of the login page, before any redirect to the app.",
    "Add the exact redirect_uri the app sends (scheme, host, port, path, no trailing-slash difference) to the client's callback_urls.";
    "idp-not-enabled-on-client", "config",
    "The identity provider is not enabled on the app client",
    "The hosted login page shows no button for the IdP, and identity_provider=<name> is refused with invalid_request (provider names are case-sensitive).",
    "Add the provider's exact name to the client's supported_identity_providers.";
    "oidc-issuer-mismatch", "config",
    "`oidc_issuer` is not the issuer of the IdP's tenant",
    "Every federated sign-in fails after the IdP's redirect back: Cognito refuses the ID token because its `iss` is not the configured issuer; the app receives error=invalid_request.",
    "Set the provider's oidc_issuer to the issuer the IdP's tenant puts in its tokens (its discovery document's `issuer`).";
    "idp-redirect-uri-not-idpresponse", "config",
    "The IdP app's redirect URIs do not include Cognito's /oauth2/idpresponse",
    "After choosing the IdP, the browser stops on the IdP's error page (redirect_uri not registered) and never reaches the IdP's login.",
    "Register <your Cognito domain>/oauth2/idpresponse, exactly, as an allowed redirect URI of the IdP app (guide step 1).";
    "scopes-missing-email", "config",
    "The provider's authorize scopes do not include `email`",
    "The IdP releases no email claim: the mapped email stays empty, linking by email never matches, and federated users have no email.",
    "Set authorize_scopes to \"openid email\" (or \"openid phone\" for a phone-identified pool).";
    "attributes-request-method", "config",
    "`attributes_request_method` is not GET or POST",
    "Cognito refuses the provider (attributes_request_method must be GET or POST); the emulated IdP's userinfo endpoint accepts both GET and POST, as the guide says to use GET.",
    "Set attributes_request_method = \"GET\" (upper case).";
    "link-without-throw", "handler, journal",
    "The PreSignUp Lambda links the user but does not throw afterwards",
    "The link succeeds, then sign-up goes on and Cognito refuses the sign-in: the app's callback gets error=invalid_request with 'Already found an entry for username <Provider>_<sub>', a message that names neither the Lambda nor the link.",
    "After AdminLinkProviderForUser succeeds, throw (e.g. new Error('re_authentication_required')) so no user is created; the next IdP sign-in lands on the native user.";
    "link-wrong-attribute", "handler, journal",
    "AdminLinkProviderForUser names the users by the wrong attribute",
    "The link is refused (UserNotFoundException, or the source attribute refused) or links the wrong user: DestinationUser.ProviderAttributeValue must be the native user's username, SourceUser must be ProviderAttributeName 'Cognito_Subject' with the IdP's sub.",
    "DestinationUser: { ProviderName: 'Cognito', ProviderAttributeValue: <native Username from ListUsers> }; SourceUser: { ProviderName: <provider>, ProviderAttributeName: 'Cognito_Subject', ProviderAttributeValue: <sub from event.userName> }.";
    "link-error-swallowed", "handler, journal",
    "The handler swallows AdminLinkProviderForUser's errors",
    "A refused link (bad parameters, missing IAM permission: AccessDenied) is only logged; sign-up goes on and a duplicate user is created, with nothing but a CloudWatch log line to say why.",
    "Let the error fail the sign-up: rethrow in the catch (or callback(err)); a failed sign-up shows the message in the app's callback, a duplicate user does not.";
    "trigger-permission-missing", "config, handler, journal",
    "A trigger's execution role does not allow an operation its handler calls",
    "The call is refused with AccessDeniedException ('... is not authorized to perform: cognito-idp:AdminLinkProviderForUser on resource: ...'); a handler that catches it, as the guide's does, lets sign-up go on: the user is not linked and a duplicate user is created.",
    "Allow the action on the pool in the function's execution role (cognito-idp:ListUsers and cognito-idp:AdminLinkProviderForUser on arn:aws:cognito-idp:<region>:<account>:userpool/<pool>); in the emulator, list it in [lambda_permissions].";
    "lambda-timeout", "journal",
    "A Lambda trigger timed out (5 s per attempt)",
    "Cognito gives each attempt 5 seconds and retries up to three times; the sign-in fails after about 15 s, or a slow first attempt's side effects (a link) happen twice.",
    "Keep the trigger under 5 s: create SDK clients outside the handler, avoid cold-start work in the request path, and make the handler idempotent.";
    "email-case-mismatch", "journal",
    "The native user's email and the IdP's differ only in case",
    "A PreSignUp Lambda searching ListUsers with email = \"<IdP email>\" can miss the native user, so no link is made and a duplicate user is created.",
    "Normalise emails (lower case) when creating native users and in the Lambda's search, or compare case-insensitively before linking.";
    "reauth-not-handled", "journal",
    "The app does not handle `re_authentication_required`",
    "After linking, the app's callback gets error=invalid_request with 'PreSignUp failed with error re_authentication_required.' and shows an error; the user never signs in again, although a second sign-in would land on the linked native user.",
    "In the callback, recognise error_description containing re_authentication_required and start the IdP sign-in again (the IdP's session makes it silent).";
    "idp-app-unknown-client", "config",
    "The provider's client_id is not an app of the emulated IdP",
    "After choosing the IdP, the browser stops on the IdP's error page (unknown client).",
    "Use the client_id of the IdP app made for Cognito (guide step 1), or add the app to [idp] tenants.";
    "idp-client-secret-mismatch", "config",
    "The provider's client_secret is not the IdP app's",
    "The IdP's token endpoint refuses Cognito's code exchange (invalid_client); the app receives error=invalid_request with '<Provider> Error'.",
    "Copy the IdP app's client secret into the provider's client_secret.";
    "idp-scope-not-allowed", "config",
    "The provider asks for a scope the IdP app does not allow",
    "The IdP refuses the authorization request with invalid_scope, and the app's callback gets the error instead of a sign-in.",
    "Ask only for scopes the IdP app allows (authorize_scopes), or allow the scope on the IdP app.";
    "trigger-target-missing", "config",
    "A Lambda trigger names a function or handler file that does not exist",
    "Every operation that runs the trigger fails (UserLambdaValidationException or the hosted UI's error) before the handler is ever called.",
    "Map the pool's Lambda ARN in [lambda_functions] to node:<file>, python:<file>, a RIE URL or builtin:<name>, with a path that exists (relative to the emulator's working directory).";
}

/// The catalogue entry of `id`.
pub fn mistake(id: &str) -> Option<&'static Mistake> {
    CATALOGUE.iter().find(|m| m.id == id)
}

impl Finding {
    /// A finding of catalogue entry `id`: `what` says what was found, the catalogue adds the
    /// symptom and the fix. An id missing from the catalogue (a bug) still makes a finding.
    pub fn new(id: &'static str, location: impl Into<String>, what: impl Into<String>) -> Self {
        let what = what.into();
        let (title, explanation, fix) = match mistake(id) {
            Some(m) => (m.title, format!("{what} {}", m.symptom), m.fix.to_owned()),
            None => ("(not in the catalogue)", what, String::new()),
        };
        Self {
            id,
            title,
            explanation,
            fix,
            location: location.into(),
        }
    }

    /// The finding as `emulator doctor` prints it.
    pub fn render(&self) -> String {
        format!(
            "[{}] {}\n  where: {}\n  why:   {}\n  fix:   {}\n",
            self.id, self.title, self.location, self.explanation, self.fix
        )
    }
}

/// The handler files the config's triggers run (`node:`/`python:` targets), with the pools
/// and triggers that use them: `(target, path, uses)`.
pub fn handler_files(config: &Config) -> Vec<(String, PathBuf, Vec<String>)> {
    let mut out: Vec<(String, PathBuf, Vec<String>)> = Vec::new();
    for pool in &config.cognito.pools {
        for (trigger, target) in &pool.lambda {
            let target = config.lambda_functions.get(target).unwrap_or(target);
            let Some(file) = handler_file(target) else {
                continue;
            };
            let used = format!("pool {}, {trigger}", pool.id);
            match out.iter_mut().find(|(t, _, _)| t == target) {
                Some((_, _, uses)) => uses.push(used),
                None => out.push((target.clone(), file, vec![used])),
            }
        }
    }
    out
}

/// The handler file of a `node:` or `python:` target (without a Python target's function).
fn handler_file(target: &str) -> Option<PathBuf> {
    use crate::cognito::triggers::{Target, parse_target};
    match parse_target(target).ok()? {
        Target::Node(path) | Target::Python(path, _) => Some(path),
        _ => None,
    }
}

/// The static checks: the config, then each handler file it names (read from the working
/// directory, as the emulator does, or else from `base`, the config file's directory).
pub fn static_checks(config: &Config, base: Option<&Path>) -> Vec<Finding> {
    let mut findings = config::check(config);
    for (target, path, uses) in handler_files(config) {
        match read_handler(&path, base) {
            Some(text) => findings.extend(handlers::check(&path.display().to_string(), &text)),
            None => findings.push(Finding::new(
                "trigger-target-missing",
                uses.join("; "),
                format!(
                    "The trigger target {target} names {}, which cannot be read.",
                    path.display()
                ),
            )),
        }
    }
    findings.extend(permissions(config, base));
    findings.sort_by_key(|f| rank(f.id));
    findings
}

/// A handler file's text: at `path` from the working directory, as the emulator reads it, or
/// else from `base`.
fn read_handler(path: &Path, base: Option<&Path>) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .or_else(|| std::fs::read_to_string(base?.join(path)).ok())
}

/// The operations each function's handler calls that its role (`[lambda_permissions]`)
/// does not allow. A handler file that cannot be read is reported by [`static_checks`].
fn permissions(config: &Config, base: Option<&Path>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (arn, allowed) in &config.lambda_permissions {
        let Some(target) = config.lambda_functions.get(arn) else {
            continue;
        };
        let Some(path) = handler_file(target) else {
            continue;
        };
        let file = path.display().to_string();
        let Some(source) = read_handler(&path, base) else {
            continue;
        };
        for (op, line) in handlers::operations(&file, &source) {
            let action = format!("cognito-idp:{op}");
            if !crate::cognito::iam::allows(allowed, &action) {
                out.push(Finding::new(
                    "trigger-permission-missing",
                    format!("{file}:{line}"),
                    format!(
                        "The handler of {arn} calls {op}, which its role does not allow ([lambda_permissions] allows {allowed:?})."
                    ),
                ));
            }
        }
    }
    out
}

/// A finding's position in the catalogue (its priority).
pub fn rank(id: &str) -> usize {
    CATALOGUE
        .iter()
        .position(|m| m.id == id)
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_ids_are_unique_and_complete() {
        let mut ids: Vec<_> = CATALOGUE.iter().map(|m| m.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CATALOGUE.len());
        assert!(CATALOGUE.len() >= 15);
        for m in CATALOGUE {
            assert!(!m.title.is_empty() && !m.symptom.is_empty() && !m.fix.is_empty());
        }
    }

    #[test]
    fn the_default_config_has_no_findings() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        assert_eq!(
            static_checks(&Config::default_config(), Some(&base)),
            vec![]
        );
    }

    #[test]
    fn a_role_missing_an_action_the_handler_calls() {
        const ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:link";
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let with = |target: &str, allow: &[&str]| {
            let mut c = Config::default_config();
            c.cognito.pools[0]
                .lambda
                .insert("PreSignUp".into(), ARN.into());
            c.lambda_functions.insert(ARN.into(), target.into());
            let allow = allow.iter().map(|a| a.to_string()).collect();
            c.lambda_permissions.insert(ARN.into(), allow);
            static_checks(&c, Some(&base))
                .into_iter()
                .filter(|f| f.id == "trigger-permission-missing")
                .collect::<Vec<_>>()
        };
        let js = "node:fixtures/lambda/link-corrected.js";
        let found = with(js, &["cognito-idp:ListUsers"]);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].location, "fixtures/lambda/link-corrected.js:29");
        assert!(found[0].explanation.contains("AdminLinkProviderForUser"));
        assert_eq!(
            with(js, &["cognito-idp:ListUsers", "cognito-idp:AdminLink*"]),
            []
        );
        let py = "python:fixtures/lambda/link-corrected.py:handler";
        assert_eq!(with(py, &["cognito-idp:AdminLinkProviderForUser"]).len(), 1);
        assert_eq!(with(py, &["cognito-idp:*"]), []);
    }

    #[test]
    fn an_unreadable_handler_file_is_a_finding() {
        let mut c = Config::default_config();
        c.cognito.pools[0]
            .lambda
            .insert("PostConfirmation".into(), "node:no/such/handler.js".into());
        let f = static_checks(&c, None);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].id, "trigger-target-missing");
        assert!(f[0].location.contains("PostConfirmation"), "{f:?}");
    }
}
