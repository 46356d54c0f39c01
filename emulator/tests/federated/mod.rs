//! A federated sign-in over HTTP, as a browser makes it: Cognito's hosted UI sends it to the
//! emulated IdP (the OTP the first time, then a new passkey; the passkey alone later) and the
//! IdP back to `/oauth2/idpresponse`, which answers the app's callback.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, dead_code)]

use harness::authenticator::VirtualAuthenticator;
use serde_json::json;

use crate::common::CLIENT;
use crate::idp_support::{self, Idp};
use crate::oauth_support::CALLBACK;

/// The browser's trip from the app's sign-in link to the IdP's login page: the interaction.
pub async fn to_idp(idp: &Idp) -> String {
    let cognito = &idp.emu.cognito_url;
    let r = idp
        .http
        .get(format!(
            "{cognito}/oauth2/authorize?client_id={CLIENT}&redirect_uri={CALLBACK}&response_type=code&scope=openid+email&state=app-1&identity_provider=Mosaic"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let r = idp
        .http
        .get(idp_support::location(&r))
        .send()
        .await
        .unwrap();
    let login = idp_support::location(&r);
    login.strip_prefix("/cis/login/").unwrap().to_owned()
}

/// At the IdP: the OTP the first time (then a new passkey), the passkey later; then back to
/// Cognito's idpresponse. Returns Cognito's redirect to the app (a code or an error).
pub async fn finish_at_idp(
    idp: &Idp,
    ix: &str,
    email: &str,
    device: &mut VirtualAuthenticator,
) -> String {
    let v = idp
        .step(ix, "identifier", json!({"identifier": email}))
        .await;
    if v["step"] == "otp" {
        let code = idp.otp(email).await;
        idp.step(ix, "otp/verify", json!({"code": code})).await;
    }
    back_to_app(idp, ix, device).await
}

/// The passkey ceremony, then the IdP's redirect to Cognito; returns Cognito's redirect.
pub async fn back_to_app(idp: &Idp, ix: &str, device: &mut VirtualAuthenticator) -> String {
    let (status, v) = idp.ceremony(ix, device).await;
    assert!(status.is_success(), "{v}");
    let r = idp
        .http
        .get(v["redirect"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302, "{:?}", r.text().await);
    let to_app = idp_support::location(&r);
    assert!(to_app.starts_with(CALLBACK), "{to_app}");
    to_app
}

pub async fn sign_in(idp: &Idp, email: &str, device: &mut VirtualAuthenticator) -> String {
    let ix = to_idp(idp).await;
    finish_at_idp(idp, &ix, email, device).await
}
