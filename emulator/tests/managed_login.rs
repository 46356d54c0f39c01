//! Managed login's challenge pages, as a browser without JavaScript uses them: a temporary
//! password changed on the new-password page, an authenticator code after the password, and
//! a passwordless sign-in with an emailed code (a wrong code shown on the same page). Each
//! ends at the app's callback with a code the token endpoint exchanges. Passkeys on these
//! pages run in Chromium (`managed_login_browser.rs`).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod oauth_support;

use std::collections::HashMap;

use aws_sdk_cognitoidentityprovider as cip;
use common::{CLIENT, POOL, attr, confirmed_user};
use emulator::cognito::signin::totp;
use oauth_support::{CALLBACK, browser, location, params, pkce, set_cookie};

/// A browser session on the hosted UI: its CSRF cookie and the page it shows.
struct Hosted {
    base: String,
    cookie: String,
    login_path: String,
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The hidden fields of the page's first form that has them.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|rest| {
            let (name, rest) = rest.split_once('"')?;
            let value = rest.split("value=\"").nth(1)?.split('"').next()?;
            Some((name.to_owned(), unescape(value)))
        })
        .collect()
}

fn form_action(html: &str) -> String {
    unescape(
        html.split("action=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap(),
    )
}

impl Hosted {
    async fn open(base: &str) -> (Hosted, String, String) {
        let (verifier, challenge) = pkce("managed");
        let url = format!(
            "{base}/oauth2/authorize?client_id={CLIENT}&response_type=code&scope=openid+email&redirect_uri={CALLBACK}&code_challenge={challenge}&code_challenge_method=S256"
        );
        let r = browser().get(url).send().await.unwrap();
        let login_path = location(&r);
        let page = browser()
            .get(format!("{base}{login_path}"))
            .send()
            .await
            .unwrap();
        let cookie = set_cookie(&page).unwrap();
        let html = page.text().await.unwrap();
        let h = Hosted {
            base: base.to_owned(),
            cookie,
            login_path,
        };
        (h, html, verifier)
    }

    async fn post(&self, action: &str, fields: &[(String, String)]) -> reqwest::Response {
        browser()
            .post(format!("{}{action}", self.base))
            .header("cookie", &self.cookie)
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// Submit the login form with `extra` fields (password, or a factor button).
    async fn login(&self, html: &str, username: &str, extra: &[(&str, &str)]) -> reqwest::Response {
        let mut fields = hidden_fields(html);
        fields.push(("username".into(), username.into()));
        fields.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        self.post(&self.login_path, &fields).await
    }

    /// Answer a challenge page with `extra` fields.
    async fn answer(&self, html: &str, extra: &[(&str, &str)]) -> reqwest::Response {
        let mut fields = hidden_fields(html);
        fields.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        self.post(&form_action(html), &fields).await
    }
}

/// The callback's code exchanged for tokens; returns the ID token's claims.
async fn tokens(base: &str, callback: &str, verifier: &str) -> HashMap<String, serde_json::Value> {
    assert!(callback.starts_with(CALLBACK), "{callback}");
    let code = params(callback)["code"].clone();
    let r = reqwest::Client::new()
        .post(format!("{base}/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    oauth_support::verify(base, POOL, body["id_token"].as_str().unwrap(), Some(CLIENT))
        .await
        .into_iter()
        .collect()
}

#[tokio::test]
async fn a_temporary_password_is_changed_on_the_new_password_page() {
    let emu = common::start().await;
    let base = emu.url().to_owned();
    emu.sdk
        .admin_create_user()
        .user_pool_id(POOL)
        .username("temp@example.com")
        .user_attributes(attr("email", "temp@example.com"))
        .temporary_password("Temp0rary!")
        .send()
        .await
        .unwrap();
    let (h, html, verifier) = Hosted::open(&base).await;
    let r = h
        .login(&html, "temp@example.com", &[("password", "Temp0rary!")])
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("Change your password"), "{page}");
    let r = h.answer(&page, &[("new_password", "Permanent1!")]).await;
    assert_eq!(r.status(), 302, "{}", r.text().await.unwrap());
    let claims = tokens(&base, &location(&r), &verifier).await;
    assert_eq!(claims["email"], "temp@example.com");
    let u = emu
        .sdk
        .admin_get_user()
        .user_pool_id(POOL)
        .username("temp@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        u.user_status(),
        Some(&cip::types::UserStatusType::Confirmed)
    );
}

#[tokio::test]
async fn an_authenticator_code_is_asked_after_the_password() {
    let emu = common::start().await;
    let base = emu.url().to_owned();
    let sdk = &emu.sdk;
    let username = confirmed_user(sdk, "mfa@example.com", "Passw0rd!").await;
    common::signin::enable_pool_mfa(sdk, cip::types::UserPoolMfaType::Optional).await;
    let out = common::signin::password_sign_in(sdk, "mfa@example.com", "Passw0rd!").await;
    let access = out
        .authentication_result()
        .unwrap()
        .access_token()
        .unwrap()
        .to_owned();
    let secret = sdk
        .associate_software_token()
        .access_token(&access)
        .send()
        .await
        .unwrap();
    let key = totp::from_base32(secret.secret_code().unwrap()).unwrap();
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    };
    sdk.verify_software_token()
        .access_token(&access)
        .user_code(totp::code(&key, now() / 30))
        .send()
        .await
        .unwrap();
    sdk.admin_set_user_mfa_preference()
        .user_pool_id(POOL)
        .username(&username)
        .software_token_mfa_settings(
            cip::types::SoftwareTokenMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (h, html, verifier) = Hosted::open(&base).await;
    let r = h
        .login(&html, "mfa@example.com", &[("password", "Passw0rd!")])
        .await;
    let page = r.text().await.unwrap();
    assert!(page.contains("authenticator app"), "{page}");
    // The code of the next step (the one used to verify is spent).
    let r = h
        .answer(&page, &[("code", &totp::code(&key, now() / 30 + 1))])
        .await;
    assert_eq!(r.status(), 302, "{}", r.text().await.unwrap());
    tokens(&base, &location(&r), &verifier).await;
}

#[tokio::test]
async fn an_emailed_code_signs_in_without_a_password() {
    let emu = common::start().await;
    let base = emu.url().to_owned();
    let sdk = &emu.sdk;
    common::allow_first_factors(sdk, POOL, &[cip::types::AuthFactorType::EmailOtp]).await;
    confirmed_user(sdk, "otp@example.com", "Passw0rd!").await;
    let (h, html, verifier) = Hosted::open(&base).await;
    assert!(html.contains("Email me a sign-in code"), "{html}");
    assert!(
        !html.contains("Sign in with a passkey"),
        "passkeys are not allowed: {html}"
    );
    let r = h
        .login(&html, "otp@example.com", &[("factor", "EMAIL_OTP")])
        .await;
    let page = r.text().await.unwrap();
    assert!(page.contains("Enter the code sent to o***@e***"), "{page}");
    let r = h.answer(&page, &[("code", "00000000")]).await;
    let again = r.text().await.unwrap();
    assert!(again.contains("Invalid code"), "{again}");
    let code = common::last_code(&base, "otp@example.com").await;
    let r = h.answer(&again, &[("code", &code)]).await;
    assert_eq!(r.status(), 302, "{}", r.text().await.unwrap());
    let claims = tokens(&base, &location(&r), &verifier).await;
    assert_eq!(claims["email"], "otp@example.com");
    let steps = oauth_support::journal(&base, "kind=flow_step&name=hosted.challenge").await;
    assert_eq!(steps.len(), 1);
}
