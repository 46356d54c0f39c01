//! Fuzzes the OAuth 2.0 / OIDC request parsing of both providers, through their routers in
//! process (axum's query and form extractors, then the handlers' own parsing and validation
//! against the default config's client and app). The first byte picks the endpoint; the rest
//! is split at its first NUL byte into the main part (query string or form body) and an
//! auxiliary part (a header, or the query of a posted form), as the table below says.
//! Any answer below 500 is fine; a panic, an abort, a hang or a server error is the failure. `@access` and `@refresh`
//! anywhere in the input become a live access or refresh token of a new user of the default
//! pool (see `common`), for the user pool's userInfo, revoke and refresh grant.
#![no_main]

mod common;

use axum::body::Body;
use axum::http::Request;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE};
use libfuzzer_sys::fuzz_target;

#[derive(Clone, Copy)]
enum Server {
    Cognito,
    Idp,
}

/// Where the main part goes.
#[derive(Clone, Copy)]
enum Main {
    Query,
    Form,
    /// The `Authorization` header (bearer tokens).
    Authorization,
}

/// Where the auxiliary part goes.
#[derive(Clone, Copy)]
enum Aux {
    None,
    Authorization,
    Cookie,
    /// The query of a posted hosted-UI form, whose CSRF cookie is `XSRF-TOKEN=fuzz`.
    FormQuery,
}

const ENDPOINTS: &[(Server, &str, Main, Aux)] = &[
    (
        Server::Cognito,
        "/oauth2/authorize",
        Main::Query,
        Aux::Cookie,
    ),
    (
        Server::Cognito,
        "/oauth2/token",
        Main::Form,
        Aux::Authorization,
    ),
    (
        Server::Cognito,
        "/oauth2/idpresponse",
        Main::Query,
        Aux::None,
    ),
    (
        Server::Cognito,
        "/oauth2/idpresponse",
        Main::Form,
        Aux::None,
    ),
    (Server::Cognito, "/logout", Main::Query, Aux::Cookie),
    (Server::Cognito, "/login", Main::Query, Aux::Cookie),
    (Server::Cognito, "/login", Main::Form, Aux::FormQuery),
    (
        Server::Cognito,
        "/login/challenge",
        Main::Form,
        Aux::FormQuery,
    ),
    (
        Server::Cognito,
        "/login/passkey",
        Main::Form,
        Aux::FormQuery,
    ),
    (
        Server::Cognito,
        "/oauth2/userInfo",
        Main::Authorization,
        Aux::None,
    ),
    (
        Server::Cognito,
        "/oauth2/revoke",
        Main::Form,
        Aux::Authorization,
    ),
    (Server::Idp, "/cis/oidc/auth", Main::Query, Aux::Cookie),
    (Server::Idp, "/cis/oidc/auth", Main::Form, Aux::Cookie),
    (
        Server::Idp,
        "/cis/oidc/token",
        Main::Form,
        Aux::Authorization,
    ),
    (Server::Idp, "/cis/oidc/me", Main::Authorization, Aux::None),
    (
        Server::Idp,
        "/cis/oidc/session/end",
        Main::Query,
        Aux::Cookie,
    ),
    (
        Server::Idp,
        "/cis/oidc/token/revocation",
        Main::Form,
        Aux::Authorization,
    ),
];

/// `bytes` as a query string a browser would send: what a URI cannot hold percent-encoded,
/// the rest (`%` included, so malformed escapes get through) as is.
fn query(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        let keep = b.is_ascii_graphic() && !b"#\"<>\\^`{|}".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `bytes` with every `from` replaced by `to`.
fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn contains(bytes: &[u8], part: &[u8]) -> bool {
    bytes.windows(part.len()).any(|w| w == part)
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (server, path, main, aux) = ENDPOINTS[usize::from(pick) % ENDPOINTS.len()];
    let (main_part, aux_part) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let emu = &*common::EMU;
    emu.tick();
    let mut main_part = main_part.to_vec();
    let mut aux_part = aux_part.map(<[u8]>::to_vec);
    let tokens: [&[u8]; 2] = [b"@access", b"@refresh"];
    let holds =
        |t: &[u8]| contains(&main_part, t) || aux_part.as_ref().is_some_and(|a| contains(a, t));
    if tokens.iter().any(|t| holds(t)) {
        for (placeholder, value) in emu.live(|p| holds(p.as_bytes())) {
            main_part = replace(&main_part, placeholder.as_bytes(), value.as_bytes());
            aux_part = aux_part.map(|a| replace(&a, placeholder.as_bytes(), value.as_bytes()));
        }
    }
    let (main_part, aux_part) = (main_part.as_slice(), aux_part.as_deref());
    let mut uri = path.to_owned();
    if let Main::Query = main {
        uri = format!("{path}?{}", query(main_part));
    }
    if let (Aux::FormQuery, Some(q)) = (aux, aux_part) {
        uri = format!("{path}?{}", query(q));
    }
    let method = match main {
        Main::Form => "POST",
        Main::Query | Main::Authorization => "GET",
    };
    let mut req = Request::builder().method(method).uri(uri);
    match main {
        Main::Form => req = req.header(CONTENT_TYPE, "application/x-www-form-urlencoded"),
        Main::Authorization => req = req.header(AUTHORIZATION, main_part),
        Main::Query => {}
    }
    match (aux, aux_part) {
        (Aux::Authorization, Some(v)) => req = req.header(AUTHORIZATION, v),
        (Aux::Cookie, Some(v)) => req = req.header(COOKIE, v),
        (Aux::FormQuery, _) => req = req.header(COOKIE, "XSRF-TOKEN=fuzz"),
        _ => {}
    }
    let body = match main {
        Main::Form => Body::from(main_part.to_vec()),
        Main::Query | Main::Authorization => Body::empty(),
    };
    // A header value a client could not send (control bytes) fails here: skipped.
    let Ok(req) = req.body(body) else {
        return;
    };
    let app = match server {
        Server::Cognito => &emu.cognito,
        Server::Idp => &emu.idp,
    };
    let (status, _) = emu.send(app, req);
    assert!(status < 500, "{path} answered {status}");
});
