//! Checks over the journal of a run (events as JSON, as `/_emulator/journal` serves them): what
//! the emulator saw go wrong, each finding naming the flow and the event.

use std::collections::BTreeSet;

use serde_json::Value;

use super::Finding;
use crate::journal::Event;

/// The findings in `events` (oldest first).
pub fn check(events: &[Value]) -> Vec<Finding> {
    let evs: Vec<Ev<'_>> = events.iter().map(Ev).collect();
    let mut out = Vec::new();
    links(&evs, &mut out);
    callbacks(&evs, &mut out);
    denied(&evs, &mut out);
    timeouts(&evs, &mut out);
    email_case(&evs, &mut out);
    reauth(&evs, &mut out);
    out.sort_by_key(|f| super::rank(f.id));
    out
}

/// [`check`] over typed events.
pub fn check_events(events: &[Event]) -> Vec<Finding> {
    let values: Vec<Value> = events
        .iter()
        .filter_map(|e| serde_json::to_value(e).ok())
        .collect();
    check(&values)
}

/// One journal event, read leniently (a member missing or of another type reads as empty).
#[derive(Clone, Copy)]
struct Ev<'a>(&'a Value);

impl<'a> Ev<'a> {
    fn seq(&self) -> u64 {
        self.0["seq"].as_u64().unwrap_or(0)
    }
    fn kind(&self) -> &'a str {
        self.0["kind"].as_str().unwrap_or("")
    }
    fn name(&self) -> &'a str {
        self.0["name"].as_str().unwrap_or("")
    }
    fn flow(&self) -> &'a str {
        self.0["flow"].as_str().unwrap_or("")
    }
    fn detail(&self) -> &'a Value {
        &self.0["detail"]
    }
    fn str(&self, pointer: &str) -> &'a str {
        self.0
            .pointer(&format!("/detail{pointer}"))
            .and_then(Value::as_str)
            .unwrap_or("")
    }
    fn is(&self, kind: &str, name: &str) -> bool {
        self.kind() == kind && self.name() == name
    }
    fn at(&self) -> String {
        match self.flow() {
            "" => format!("journal event {} ({})", self.seq(), self.name()),
            f => format!("journal {f}, event {} ({})", self.seq(), self.name()),
        }
    }
}

/// Whether a later event of `flow` (after `seq`) matches `pred`.
fn later<'a>(
    evs: &'a [Ev<'a>],
    seq: u64,
    flow: &str,
    pred: impl Fn(&Ev<'a>) -> bool,
) -> Option<&'a Ev<'a>> {
    evs.iter()
        .find(|e| e.seq() > seq && e.flow() == flow && pred(e))
}

/// AdminLinkProviderForUser: refused for the placeholder or the wrong attribute, refused and
/// swallowed, or done and followed by a new user anyway.
fn links(evs: &[Ev<'_>], out: &mut Vec<Finding>) {
    let mut swallowed = BTreeSet::new();
    for e in evs {
        let flow = e.flow();
        if e.is("rejected", "AdminLinkProviderForUser") {
            let error = e.str("/error");
            let message = e.str("/message");
            if e.str("/request/SourceUser/ProviderName") == "providerName" {
                out.push(Finding::new(
                    "provider-name-placeholder",
                    e.at(),
                    format!("AdminLinkProviderForUser was refused: {error}: {message}"),
                ));
            }
            let source_attr = e.str("/request/SourceUser/ProviderAttributeName");
            if error == "UserNotFoundException"
                || (!source_attr.is_empty() && source_attr != "Cognito_Subject")
            {
                out.push(Finding::new(
                    "link-wrong-attribute",
                    e.at(),
                    format!(
                        "AdminLinkProviderForUser (DestinationUser {:?}, SourceUser {source_attr} = {:?}) was refused: {error}: {message}",
                        e.str("/request/DestinationUser/ProviderAttributeValue"),
                        e.str("/request/SourceUser/ProviderAttributeValue"),
                    ),
                ));
            }
            let answered = later(evs, e.seq(), flow, |t| {
                t.kind() == "trigger"
                    && t.name().starts_with("PreSignUp")
                    && t.str("/outcome") == "ok"
            });
            if let Some(t) = answered
                && swallowed.insert(flow.to_owned())
            {
                out.push(Finding::new(
                    "link-error-swallowed",
                    t.at(),
                    format!(
                        "AdminLinkProviderForUser was refused ({error}) in {flow}, yet the {} trigger ({}) answered success.",
                        t.name(),
                        t.str("/target")
                    ),
                ));
            }
        }
        // Linked, and the sign-up went on: Cognito refuses the new user (or, where nothing
        // stopped it, created one).
        if e.is("api_call", "AdminLinkProviderForUser")
            && let Some(next) = later(evs, e.seq(), flow, |c| {
                c.is("flow_step", "federation.user_created")
                    || (c.is("rejected", "federation.idpresponse")
                        && c.str("/error_description")
                            .contains("Already found an entry for username"))
            })
        {
            let then = match next.kind() {
                "rejected" => format!(
                    "Cognito refused the sign-in: {}",
                    next.str("/error_description")
                ),
                _ => format!("the user {} was created as well", next.str("/username")),
            };
            out.push(Finding::new(
                "link-without-throw",
                next.at(),
                format!(
                    "In {flow} the identity was linked to {:?}, then the sign-up went on: {then}.",
                    e.str("/request/DestinationUser/ProviderAttributeValue"),
                ),
            ));
        }
    }
}

/// Authorize requests refused because the redirect URI is not a callback URL of the client.
fn callbacks(evs: &[Ev<'_>], out: &mut Vec<Finding>) {
    let mut seen = BTreeSet::new();
    for e in evs {
        if e.kind() == "rejected"
            && e.name().starts_with("oauth2.authorize")
            && e.str("/error").starts_with("redirect_mismatch")
        {
            let client = e.str("/params/client_id");
            let uri = e.str("/params/redirect_uri");
            if seen.insert((client, uri)) {
                out.push(Finding::new(
                    "callback-url-not-registered",
                    e.at(),
                    format!("The app sent redirect_uri {uri} with client_id {client}, which does not register it."),
                ));
            }
        }
    }
}

/// Calls refused by IAM (a trigger's role without the action), once per operation and
/// caller (IAM's message names the role).
fn denied(evs: &[Ev<'_>], out: &mut Vec<Finding>) {
    let mut seen = BTreeSet::new();
    for e in evs {
        if e.kind() == "rejected"
            && e.str("/error") == "AccessDeniedException"
            && seen.insert((e.name(), e.str("/message")))
        {
            out.push(Finding::new(
                "trigger-permission-missing",
                e.at(),
                format!("{} was refused: {}", e.name(), e.str("/message")),
            ));
        }
    }
}

/// Trigger attempts that timed out, once per flow and trigger.
fn timeouts(evs: &[Ev<'_>], out: &mut Vec<Finding>) {
    let mut seen = BTreeSet::new();
    for e in evs {
        if e.kind() == "trigger" && e.str("/outcome") == "timeout" {
            if !seen.insert((e.flow(), e.name())) {
                continue;
            }
            let attempts = evs
                .iter()
                .filter(|t| {
                    t.kind() == "trigger"
                        && t.flow() == e.flow()
                        && t.name() == e.name()
                        && t.str("/outcome") == "timeout"
                })
                .count();
            out.push(Finding::new(
                "lambda-timeout",
                e.at(),
                format!(
                    "The {} trigger ({}) timed out in {attempts} attempt(s) (the first after {} ms).",
                    e.name(),
                    e.str("/target"),
                    e.detail()["duration_ms"].as_u64().unwrap_or(0)
                ),
            ));
        }
    }
}

/// Native users' emails and the IdP's, equal but for case.
fn email_case(evs: &[Ev<'_>], out: &mut Vec<Finding>) {
    let mut native: Vec<(&str, &Ev<'_>)> = Vec::new();
    let mut federated: Vec<(&str, &Ev<'_>)> = Vec::new();
    for e in evs {
        let created =
            e.kind() == "api_call" && (e.name() == "AdminCreateUser" || e.name() == "SignUp");
        if created {
            let attrs = e.detail().pointer("/request/UserAttributes");
            let email = attrs
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|a| a["Name"] == "email")
                .and_then(|a| a["Value"].as_str())
                .or_else(|| Some(e.str("/request/Username")).filter(|u| u.contains('@')));
            native.extend(email.map(|m| (m, e)));
        }
        if e.kind() == "trigger" && e.name() == "PreSignUp_ExternalProvider" {
            let email = e.str("/event/request/userAttributes/email");
            if !email.is_empty() {
                federated.push((email, e));
            }
        }
    }
    let mut seen = BTreeSet::new();
    for (n, created) in &native {
        for (f, signed_in) in &federated {
            if n != f && n.eq_ignore_ascii_case(f) && seen.insert((*n, *f)) {
                out.push(Finding::new(
                    "email-case-mismatch",
                    signed_in.at(),
                    format!(
                        "The native user created as {n:?} ({}) signed in through the IdP as {f:?}.",
                        created.at()
                    ),
                ));
            }
        }
    }
}

/// `re_authentication_required` sent to the app, and the same identity never signing in again.
fn reauth(evs: &[Ev<'_>], out: &mut Vec<Finding>) {
    for e in evs {
        if !(e.is("rejected", "federation.idpresponse")
            && e.str("/error_description")
                .contains("re_authentication_required"))
        {
            continue;
        }
        let identity = evs
            .iter()
            .filter(|t| t.flow() == e.flow() && t.is("trigger", "PreSignUp_ExternalProvider"))
            .map(|t| t.str("/event/userName"))
            .find(|u| !u.is_empty());
        let again = evs.iter().any(|r| {
            r.seq() > e.seq()
                && r.is("flow_step", "federation.user_resolved")
                && identity.is_none_or(|id| r.str("/identity") == id)
        });
        if !again {
            out.push(Finding::new(
                "reauth-not-handled",
                e.at(),
                format!(
                    "The app's callback got re_authentication_required in {} for {}, and that identity never signed in again.",
                    e.flow(),
                    identity.unwrap_or("the user")
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(seq: u64, kind: &str, name: &str, flow: &str, detail: Value) -> Value {
        json!({"seq": seq, "at_millis": 0, "service": "cognito", "kind": kind, "name": name, "flow": flow, "detail": detail})
    }

    fn ids(events: &[Value]) -> Vec<&'static str> {
        check(events).into_iter().map(|f| f.id).collect()
    }

    fn link_request(provider: &str, attr: &str) -> Value {
        json!({"UserPoolId": "us-east-1_Mosaic001",
            "DestinationUser": {"ProviderName": "Cognito", "ProviderAttributeValue": "jane"},
            "SourceUser": {"ProviderName": provider, "ProviderAttributeName": attr, "ProviderAttributeValue": "abc"}})
    }

    fn presignup(seq: u64, outcome: &str, email: &str) -> Value {
        ev(
            seq,
            "trigger",
            "PreSignUp_ExternalProvider",
            "flow-4",
            json!({"trigger": "PreSignUp", "target": "node:h.js", "outcome": outcome,
            "event": {"userName": "Mosaic_abc", "request": {"userAttributes": {"email": email}}}}),
        )
    }

    #[test]
    fn the_guides_run_placeholder_swallowed_and_duplicate() {
        let events = [
            ev(
                1,
                "rejected",
                "AdminLinkProviderForUser",
                "flow-4",
                json!({"request": link_request("providerName", "Cognito_Subject"), "error": "InvalidParameterException", "message": "SourceUser.ProviderName 'providerName' is not an identity provider"}),
            ),
            presignup(2, "ok", "jane@example.com"),
            ev(
                3,
                "flow_step",
                "federation.user_created",
                "flow-4",
                json!({"username": "Mosaic_abc"}),
            ),
        ];
        assert_eq!(
            ids(&events),
            ["provider-name-placeholder", "link-error-swallowed"]
        );
        // The corrected Lambda fails the trigger instead.
        let fixed = [
            ev(
                1,
                "api_call",
                "AdminLinkProviderForUser",
                "flow-4",
                json!({"request": link_request("Mosaic", "Cognito_Subject")}),
            ),
            presignup(2, "error", "jane@example.com"),
            ev(
                3,
                "rejected",
                "federation.idpresponse",
                "flow-4",
                json!({"error_description": "PreSignUp failed with error re_authentication_required. "}),
            ),
            ev(
                4,
                "flow_step",
                "federation.user_resolved",
                "flow-9",
                json!({"identity": "Mosaic_abc", "linked": true}),
            ),
        ];
        assert_eq!(ids(&fixed), Vec::<&str>::new());
    }

    #[test]
    fn a_link_then_a_new_user_is_link_without_throw() {
        let events = [
            ev(
                1,
                "api_call",
                "AdminLinkProviderForUser",
                "flow-4",
                json!({"request": link_request("Mosaic", "Cognito_Subject")}),
            ),
            presignup(2, "ok", "jane@example.com"),
            ev(
                3,
                "flow_step",
                "federation.user_created",
                "flow-4",
                json!({"username": "Mosaic_abc"}),
            ),
        ];
        let found = check(&events);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].id, "link-without-throw");
        assert!(found[0].explanation.contains("Mosaic_abc"), "{found:#?}");
        assert_eq!(ids(&events[..2]), Vec::<&str>::new());
        // As Cognito answers it: the sign-in refused, no user created.
        let refused = ev(
            3,
            "rejected",
            "federation.idpresponse",
            "flow-4",
            json!({"error": "invalid_request", "error_description": "Already found an entry for username Mosaic_abc"}),
        );
        let found = check(&[events[0].clone(), events[1].clone(), refused]);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0]
                .explanation
                .contains("Cognito refused the sign-in: Already found")
        );
    }

    #[test]
    fn a_refused_destination_is_the_wrong_attribute() {
        let refused = |error: &str, attr: &str| {
            [ev(
                1,
                "rejected",
                "AdminLinkProviderForUser",
                "flow-4",
                json!({"request": link_request("Mosaic", attr), "error": error, "message": "x"}),
            )]
        };
        assert_eq!(
            ids(&refused("UserNotFoundException", "Cognito_Subject")),
            ["link-wrong-attribute"]
        );
        assert_eq!(
            ids(&refused("InvalidParameterException", "email")),
            ["link-wrong-attribute"]
        );
        assert_eq!(
            ids(&refused("LimitExceededException", "Cognito_Subject")),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn an_unregistered_redirect_uri() {
        let events = [ev(
            1,
            "rejected",
            "oauth2.authorize",
            "flow-1",
            json!({"error": "redirect_mismatch: http://localhost:3001/cb is not a callback URL of client c1", "params": {"client_id": "c1", "redirect_uri": "http://localhost:3001/cb"}}),
        )];
        assert_eq!(ids(&events), ["callback-url-not-registered"]);
        let other = [ev(
            1,
            "rejected",
            "oauth2.authorize",
            "flow-1",
            json!({"error": "invalid_request", "params": {}}),
        )];
        assert_eq!(ids(&other), Vec::<&str>::new());
    }

    #[test]
    fn a_call_iam_refused_is_a_missing_permission() {
        let refused = |seq, name: &str, error: &str| {
            ev(
                seq,
                "rejected",
                name,
                "flow-4",
                json!({"error": error, "message": "User: arn:aws:sts::0:assumed-role/l-role/l is not authorized"}),
            )
        };
        let found = check(&[
            refused(1, "ListUsers", "AccessDeniedException"),
            refused(2, "ListUsers", "AccessDeniedException"),
        ]);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].id, "trigger-permission-missing");
        assert!(found[0].explanation.contains("ListUsers was refused"));
        let other = [refused(1, "ListUsers", "InvalidParameterException")];
        assert_eq!(ids(&other), Vec::<&str>::new());
    }

    #[test]
    fn timed_out_attempts_once_per_trigger() {
        let t = |seq, outcome| {
            ev(
                seq,
                "trigger",
                "PreSignUp_ExternalProvider",
                "flow-2",
                json!({"outcome": outcome, "target": "node:slow.js", "duration_ms": 5000}),
            )
        };
        let found = check(&[t(1, "timeout"), t(2, "timeout"), t(3, "ok")]);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].id, "lambda-timeout");
        assert!(found[0].explanation.contains("2 attempt(s)"), "{found:#?}");
        assert_eq!(ids(&[t(1, "ok")]), Vec::<&str>::new());
    }

    #[test]
    fn emails_differing_in_case() {
        let native = ev(
            1,
            "api_call",
            "AdminCreateUser",
            "flow-1",
            json!({"request": {"Username": "Jane@Example.com", "UserAttributes": [{"Name": "email", "Value": "Jane@Example.com"}]}}),
        );
        assert_eq!(
            ids(&[native.clone(), presignup(2, "ok", "jane@example.com")]),
            ["email-case-mismatch"]
        );
        assert_eq!(
            ids(&[native, presignup(2, "ok", "Jane@Example.com")]),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn re_authentication_required_never_followed() {
        let refused = ev(
            3,
            "rejected",
            "federation.idpresponse",
            "flow-4",
            json!({"error_description": "PreSignUp failed with error re_authentication_required. "}),
        );
        let found = check(&[presignup(2, "error", "jane@example.com"), refused.clone()]);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].id, "reauth-not-handled");
        assert!(found[0].explanation.contains("Mosaic_abc"), "{found:#?}");
        let again = ev(
            9,
            "flow_step",
            "federation.user_resolved",
            "flow-7",
            json!({"identity": "Mosaic_abc"}),
        );
        assert_eq!(
            ids(&[presignup(2, "error", "j@x"), refused, again]),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn any_input_is_safe() {
        let odd = [
            json!(null),
            json!(1),
            json!({"kind": 3}),
            json!({"detail": "x", "kind": "rejected", "name": "AdminLinkProviderForUser"}),
            json!({"kind": "trigger", "detail": {"outcome": "timeout"}}),
        ];
        let _ = check(&odd);
        assert_eq!(check_events(&[]), vec![]);
    }
}
