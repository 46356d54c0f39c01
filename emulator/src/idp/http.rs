//! The IdP listener's routes: the OIDC provider and the hosted experience.

use axum::Router;
use axum::routing::{get, post};

use super::Idp;
use super::experience::http as x;
use super::oidc::{authorize, discovery, session, token, userinfo};

pub fn router(idp: Idp) -> Router {
    Router::new()
        .route(
            "/cis/oidc/auth",
            get(authorize::auth_get).post(authorize::auth_post),
        )
        .route("/cis/oidc/token", post(token::token_post))
        .route("/cis/oidc/me", get(userinfo::me).post(userinfo::me))
        .route("/cis/oidc/jwks", get(discovery::jwks_get))
        .route(
            "/cis/oidc/.well-known/openid-configuration",
            get(discovery::discovery_get),
        )
        .route(
            "/.well-known/openid-configuration",
            get(discovery::discovery_get),
        )
        .route(
            "/tenants/{tenant}/.well-known/openid-configuration",
            get(discovery::tenant_discovery_get),
        )
        .route(
            "/cis/oidc/session/end",
            get(session::end_get).post(session::end_post),
        )
        .route("/cis/oidc/token/revocation", post(session::revocation_post))
        .route("/cis/login/{id}", get(x::login_page_get))
        .route("/cis/m/{ticket}", get(x::phone_page_get))
        .route("/cis/qr/{ticket}/code.svg", get(x::qr_svg_get))
        .route("/cis/api/interactions/{id}", get(x::interaction_get))
        .route(
            "/cis/api/interactions/{id}/identifier",
            post(x::identifier_post),
        )
        .route(
            "/cis/api/interactions/{id}/otp/send",
            post(x::otp_send_post),
        )
        .route(
            "/cis/api/interactions/{id}/otp/verify",
            post(x::otp_verify_post),
        )
        .route(
            "/cis/api/interactions/{id}/webauthn/options",
            post(x::options_post),
        )
        .route(
            "/cis/api/interactions/{id}/webauthn/register",
            post(x::register_post),
        )
        .route(
            "/cis/api/interactions/{id}/webauthn/authenticate",
            post(x::authenticate_post),
        )
        .route("/cis/api/interactions/{id}/qr", post(x::qr_post))
        .route(
            "/cis/api/interactions/{id}/qr/{ticket}",
            get(x::qr_get).delete(x::qr_delete),
        )
        .route("/cis/api/tickets/{ticket}/attach", post(x::attach_post))
        .route("/cis/api/tickets/{ticket}/finish", post(x::finish_post))
        .layer(axum::extract::DefaultBodyLimit::max(1 << 20))
        .layer(axum::middleware::from_fn_with_state(
            idp.clone(),
            crate::faults::http::idp_endpoints,
        ))
        .with_state(idp)
}
