//! Signing up in the hosted UI, over HTTP as a browser would: the login page's "Sign up",
//! `/signup` (the pool's fields, its password policy, PreSignUp), the code from the outbox on
//! `/confirmUser`, then the app's callback with a code whose tokens are the new user's. Bad
//! input is answered on the page, changes nothing and is journaled.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod hosted_support;
mod oauth_support;

use aws_sdk_cognitoidentityprovider as cip;
use base64::Engine;
use hosted_support::{Browser, Page, query, start_on_manual_clock, status};
use oauth_support::{CALLBACK, exchange, journal, params, pkce, verify, with_trigger};
use serde_json::{Value, json};

use common::{CLIENT, POOL, last_code};

const PASSWORD: &str = "Passw0rd!";

/// From the login page to the sign-up form, as a user clicks "Sign up".
async fn signup_form(b: &mut Browser) -> Page {
    let login = b.get(&format!("/login?{}", query())).await;
    assert_eq!(login.status, 200);
    login.link("Forgot your password?");
    let page = b.get(&login.link("Sign up")).await;
    assert_eq!(page.status, 200);
    page
}

async fn sign_up(b: &mut Browser, email: &str, password: &str) -> Page {
    let form = signup_form(b).await;
    b.submit(&form, &[("username", email), ("password", password)])
        .await
}

#[tokio::test]
async fn sign_up_then_confirm_lands_on_the_app_with_the_new_users_code() {
    let emu = common::start().await;
    let base = emu.url().to_owned();
    let mut b = Browser::new(&base);
    let form = signup_form(&mut b).await;
    form.says("<h1>Sign up</h1>")
        .says("to continue to demo-web-app")
        .says("<label for=\"username\">Email address</label>")
        .says("<label for=\"password\">Password</label>")
        .says("At least 8 characters, with a lowercase letter, an uppercase letter, a number and a symbol.");

    let confirm = b
        .submit(
            &form,
            &[("username", "new@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(confirm.status, 200);
    confirm
        .says("<h1>Confirm your account</h1>")
        .says("We sent a code by email to n***@e***.")
        .says("<label for=\"code\">Verification code</label>");
    assert_eq!(
        status(&emu, "new@example.com").await.as_deref(),
        Some("UNCONFIRMED")
    );

    let code = last_code(&base, "new@example.com").await;
    let done = b.submit(&confirm, &[("code", &code)]).await;
    assert_eq!(done.status, 302, "{}", done.html);
    let callback = done.location.unwrap();
    assert!(callback.starts_with(CALLBACK), "{callback}");
    let p = params(&callback);
    assert_eq!(p["state"], "st-9");
    assert_eq!(
        status(&emu, "new@example.com").await.as_deref(),
        Some("CONFIRMED")
    );

    let (verifier, _) = pkce("hosted");
    let t: Value = exchange(&base, CLIENT, &p["code"], Some(&verifier))
        .await
        .json()
        .await
        .unwrap();
    let id = verify(&base, POOL, t["id_token"].as_str().unwrap(), Some(CLIENT)).await;
    assert_eq!(id["email"], "new@example.com");
    assert_eq!(id["email_verified"], true);

    // One flow in the journal, from the sign-up to the code.
    let signed_up = journal(&base, "kind=flow_step&name=hosted.signup").await;
    assert_eq!(signed_up.len(), 1);
    assert_eq!(signed_up[0]["detail"]["sub"], id["sub"]);
    let flow = signed_up[0]["flow"].as_str().unwrap();
    let names: Vec<String> = journal(&base, &format!("flow={flow}"))
        .await
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect();
    for step in ["hosted.signup", "hosted.confirm_user", "hosted.login"] {
        assert!(names.contains(&step.to_owned()), "{step} in {names:?}");
    }
    assert!(journal(&base, "kind=rejected").await.is_empty());
}

/// PreSignUp throws: its message is on the page, and no user is created.
#[tokio::test]
async fn a_pre_sign_up_refusal_is_shown_on_the_page() {
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:gate";
    let mut config = emulator::Config::default_config();
    with_trigger(&mut config, "PreSignUp", arn, "builtin:link_by_email");
    let emu = common::start_with(config).await;
    let base = emu.url().to_owned();
    let fault = json!({"fault": "trigger", "trigger": "PreSignUp", "error": "sign-ups are closed"});
    let r = reqwest::Client::new()
        .post(format!("{base}/_emulator/faults"))
        .json(&fault)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    let page = sign_up(&mut Browser::new(&base), "gated@example.com", PASSWORD).await;
    assert_eq!(page.status, 200);
    page.says("<h1>Sign up</h1>")
        .says("role=\"alert\">PreSignUp failed with error sign-ups are closed.</p>")
        .says("value=\"gated@example.com\"");
    assert_eq!(status(&emu, "gated@example.com").await, None);
    let refused = journal(&base, "kind=rejected&name=hosted.signup").await;
    assert_eq!(
        refused[0]["detail"]["error"],
        "UserLambdaValidationException"
    );
    assert_eq!(
        journal(&base, "name=PreSignUp_SignUp").await.len(),
        1,
        "the trigger ran once"
    );
}

/// PreSignUp confirms the user (a Node.js handler): no code page, straight to the app.
#[tokio::test]
async fn a_user_confirmed_by_pre_sign_up_goes_straight_to_the_app() {
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:confirm";
    let target = format!(
        "node:{}",
        oauth_support::fixture("contract/auto-confirm.js")
    );
    let mut config = emulator::Config::default_config();
    with_trigger(&mut config, "PreSignUp", arn, &target);
    let emu = common::start_with(config).await;
    let page = sign_up(&mut Browser::new(emu.url()), "eager@example.com", PASSWORD).await;
    assert_eq!(page.status, 302, "{}", page.html);
    assert!(page.location.unwrap().starts_with(CALLBACK));
    assert_eq!(
        status(&emu, "eager@example.com").await.as_deref(),
        Some("CONFIRMED")
    );
}

#[tokio::test]
async fn bad_sign_up_input_is_answered_on_the_page_and_changes_nothing() {
    let emu = common::start().await;
    let base = emu.url().to_owned();
    common::confirmed_user(&emu.sdk, "taken@example.com", PASSWORD).await;
    let mut b = Browser::new(&base);

    let weak = sign_up(&mut b, "weak@example.com", "password1!").await;
    weak.says("Password did not conform with policy: Password must have uppercase characters");
    assert_eq!(status(&emu, "weak@example.com").await, None);
    sign_up(&mut b, "taken@example.com", PASSWORD)
        .await
        .says("An account with the given email already exists.");
    sign_up(&mut b, "", PASSWORD)
        .await
        .says("Enter your email address.");
    sign_up(&mut b, "not-an-email", PASSWORD)
        .await
        .says("Username should be an email.");

    // A wrong code: the user stays unconfirmed; the right one then confirms.
    let confirm = sign_up(&mut b, "slow@example.com", PASSWORD).await;
    let wrong = b.submit(&confirm, &[("code", "000000")]).await;
    assert_eq!(wrong.status, 200);
    wrong.says("Invalid verification code provided, please try again.");
    assert_eq!(
        status(&emu, "slow@example.com").await.as_deref(),
        Some("UNCONFIRMED")
    );
    let code = last_code(&base, "slow@example.com").await;
    let done = b.submit(&wrong, &[("code", &code)]).await;
    assert!(done.location.unwrap().starts_with(CALLBACK));

    // The app cannot be trusted: an error page, never a redirect.
    let unknown = b
        .get("/signup?client_id=nosuchclient&redirect_uri=http://localhost:3000/callback&response_type=code")
        .await;
    assert_eq!(unknown.status, 400);
    unknown.says("client nosuchclient does not exist");
    let elsewhere = b
        .get(&format!(
            "/confirmUser?client_id={CLIENT}&redirect_uri=https://evil.example/cb&response_type=code"
        ))
        .await;
    assert_eq!(elsewhere.status, 400);
    elsewhere.says("redirect_mismatch");
    // A post without the page's CSRF token.
    let forged = Browser::new(&base)
        .post(
            &format!("/signup?{}", query()),
            &[
                ("username".into(), "forged@example.com".into()),
                ("password".into(), PASSWORD.into()),
            ],
        )
        .await;
    assert_eq!(forged.status, 400);
    forged.says("CSRF");
    assert_eq!(status(&emu, "forged@example.com").await, None);

    let refused = journal(&base, "kind=rejected&name=hosted.signup").await;
    assert_eq!(refused.len(), 6, "{refused:#?}");
    assert!(
        !journal(&base, "kind=rejected&name=hosted.confirm_user")
            .await
            .is_empty()
    );
    let secrets = serde_json::to_string(&refused).unwrap();
    assert!(!secrets.contains(PASSWORD) && !secrets.contains("password1!"));
}

/// A code past its 24 hours is refused; "Resend code" sends one that confirms. The sign-up's
/// browser ticket has expired by then, so the user signs in on the login page.
#[tokio::test]
async fn an_expired_code_is_refused_and_a_resent_one_confirms() {
    let (emu, clock) = start_on_manual_clock().await;
    let base = emu.url().to_owned();
    let mut b = Browser::new(&base);
    let confirm = sign_up(&mut b, "late@example.com", PASSWORD).await;
    let first = last_code(&base, "late@example.com").await;
    clock.advance_secs(25 * 3600);
    let expired = b.submit(&confirm, &[("code", &first)]).await;
    expired.says("Invalid code provided, please request a code again.");
    let resent = b.submit(&expired, &[("resend", "1")]).await;
    resent.says("We sent a code by email to l***@e***.");
    let second = last_code(&base, "late@example.com").await;
    assert_ne!(first, second);
    let done = b.submit(&resent, &[("code", &second)]).await;
    let login = done.location.unwrap();
    assert!(
        login.starts_with("/login?") && login.ends_with("&notice=confirmed"),
        "{login}"
    );
    b.get(&login)
        .await
        .says("Your account is confirmed. Sign in to continue.");
    assert_eq!(
        status(&emu, "late@example.com").await.as_deref(),
        Some("CONFIRMED")
    );
}

/// With AllowAdminCreateUserOnly the login page has no "Sign up", the page refuses, and so
/// does the SignUp operation.
#[tokio::test]
async fn a_pool_of_admin_created_users_offers_no_sign_up() {
    let emu = common::start().await;
    let base = emu.url().to_owned();
    emu.sdk
        .update_user_pool()
        .user_pool_id(POOL)
        .auto_verified_attributes(cip::types::VerifiedAttributeType::Email)
        .admin_create_user_config(
            cip::types::AdminCreateUserConfigType::builder()
                .allow_admin_create_user_only(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut b = Browser::new(&base);
    let login = b.get(&format!("/login?{}", query())).await;
    assert!(!login.html.contains("/signup?"), "{}", login.html);
    login.says("Forgot your password?");
    let page = b.get(&format!("/signup?{}", query())).await;
    assert_eq!(page.status, 400);
    page.says("only administrators create users in this user pool");
    let e = emu
        .sdk
        .sign_up()
        .client_id(CLIENT)
        .username("api@example.com")
        .password(PASSWORD)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(common::code(&e), "NotAuthorizedException");
    assert_eq!(
        journal(&base, "kind=rejected&name=hosted.signup")
            .await
            .len(),
        1
    );
}

/// A pool whose schema requires `given_name`, with a client that has a secret: the form asks
/// for the name, refuses without it, and signs up (the hosted UI sends the secret hash).
#[tokio::test]
async fn a_required_attribute_is_asked_for_and_a_client_secret_is_handled() {
    let emu = common::start().await;
    let base = emu.url().to_owned();
    let attr = |name: &str| {
        cip::types::SchemaAttributeType::builder()
            .name(name)
            .attribute_data_type(cip::types::AttributeDataType::String)
            .required(true)
            .build()
    };
    let pool = emu
        .sdk
        .create_user_pool()
        .pool_name("named")
        .username_attributes(cip::types::UsernameAttributeType::Email)
        .auto_verified_attributes(cip::types::VerifiedAttributeType::Email)
        .schema(attr("email"))
        .schema(attr("given_name"))
        .send()
        .await
        .unwrap();
    let pool_id = pool.user_pool().unwrap().id().unwrap().to_owned();
    let client = emu
        .sdk
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("named-app")
        .generate_secret(true)
        .callback_urls(CALLBACK)
        .allowed_o_auth_flows(cip::types::OAuthFlowType::Code)
        .allowed_o_auth_scopes("openid")
        .allowed_o_auth_flows_user_pool_client(true)
        .supported_identity_providers("COGNITO")
        .send()
        .await
        .unwrap();
    let app = client.user_pool_client().unwrap();
    let (client_id, secret) = (
        app.client_id().unwrap().to_owned(),
        app.client_secret().unwrap().to_owned(),
    );
    let q =
        format!("client_id={client_id}&redirect_uri={CALLBACK}&response_type=code&scope=openid");
    let mut b = Browser::new(&base);
    let form = b.get(&format!("/signup?{q}")).await;
    form.says("to continue to named-app")
        .says("<label for=\"given_name\">Given name</label>");
    let fields = |name: &'static str| {
        [
            ("username", "named@example.com"),
            ("given_name", name),
            ("password", PASSWORD),
        ]
    };
    let missing = b.submit(&form, &fields("")).await;
    missing.says("Enter your given name.");
    let confirm = b.submit(&missing, &fields("Ada")).await;
    confirm.says("We sent a code by email to n***@e***.");
    let code = last_code(&base, "named@example.com").await;
    let done = b.submit(&confirm, &[("code", &code)]).await;
    assert!(done.location.unwrap().starts_with(CALLBACK));

    // The operation refuses the same omission.
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = aws_lc_rs::hmac::sign(&key, format!("other@example.com{client_id}").as_bytes());
    let e = common::sdk(&base)
        .sign_up()
        .client_id(&client_id)
        .secret_hash(base64::engine::general_purpose::STANDARD.encode(tag))
        .username("other@example.com")
        .password(PASSWORD)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(common::code(&e), "InvalidParameterException", "{e:?}");
    assert_eq!(
        common::message(&e),
        "Attributes did not conform to the schema: given_name: The attribute is required"
    );
}

/// The passkey offer after a password sign-in answers the authorize request it was made for:
/// posted with another request's query (another state, say), it is refused and no code is
/// issued; posted as it stands, "Not now" leads to the app with the original state.
#[tokio::test]
async fn the_passkey_offer_answers_only_its_own_authorize_request() {
    let emu = common::start().await;
    let factors = [cip::types::AuthFactorType::WebAuthn];
    common::allow_first_factors(&emu.sdk, POOL, &factors).await;
    common::confirmed_user(&emu.sdk, "offer@example.com", PASSWORD).await;
    let (mut b, page) = passkey_offer(emu.url()).await;
    let forged = page.action().replace("state=st-9", "state=other");
    assert_ne!(forged, page.action());
    let mut form = page.filled();
    form.push(("skip".into(), "1".into()));
    let refused = b.post(&forged, &form).await;
    assert_eq!((refused.status, refused.location.as_deref()), (400, None));
    refused.says("belongs to another sign-in");
    let rejected = journal(emu.url(), "kind=rejected&name=hosted.passkey").await;
    assert_eq!(rejected.len(), 1, "{rejected:?}");

    let (mut b, page) = passkey_offer(emu.url()).await;
    let done = b.submit(&page, &[("skip", "1")]).await;
    let to = done.location.expect("a redirect to the app");
    assert!(to.starts_with(CALLBACK), "{to}");
    assert_eq!(params(&to)["state"], "st-9");
    assert!(params(&to).contains_key("code"), "{to}");
}

/// A new browser signs in with offer@example.com's password: the passkey offer.
async fn passkey_offer(base: &str) -> (Browser, Page) {
    let mut b = Browser::new(base);
    let login = b.get(&format!("/login?{}", query())).await;
    let page = b
        .submit(
            &login,
            &[("username", "offer@example.com"), ("password", PASSWORD)],
        )
        .await;
    page.says("Add a passkey");
    (b, page)
}
