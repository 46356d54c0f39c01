//! The hosted pages a user meets after the login page, in headless Chromium, each checked
//! with axe-core (no serious or critical violations) and saved as a PNG: sign-up (signed up
//! by keyboard alone: Tab reaches every control in order, focus is visible, Enter submits),
//! its error, the confirmation, the password reset pages and the login page's notice; then a
//! new-password challenge, the passkey offer and an emailed-code page. Needs `chromium` and
//! `chromium-driver`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod browser_support;
mod common;
mod hosted_support;
mod oauth_support;

use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider as cip;
use browser_support::{check_page, press, run};
use common::{POOL, last_code};
use fantoccini::Locator;
use fantoccini::key::Key;
use harness::authenticator::AuthenticatorConfig;
use harness::driver::browser::chromedriver::{Chromedriver, Window};
use oauth_support::CALLBACK;

const PASSWORD: &str = "Passw0rd!";

/// Types into the focused element.
async fn type_text(w: &Window, text: &str) {
    let e = w.client.active_element().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// The focused control: its id, else its name, else its text.
async fn focused(w: &Window) -> String {
    let v = run(
        w,
        "const e = document.activeElement; return e.id || e.name || e.textContent.trim()",
    )
    .await;
    v.as_str().unwrap().to_owned()
}

/// Tab from the top of the page (a click on the title starts the keyboard's way through
/// the page there): the controls focused, in order.
async fn tab_order(w: &Window, count: usize) -> Vec<String> {
    click(w, "h1").await;
    let mut order = Vec::new();
    for _ in 0..count {
        press(w, Key::Tab).await;
        order.push(focused(w).await);
    }
    order
}

async fn wait_for(w: &Window, selector: &str) {
    let found = w
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(selector))
        .await;
    if found.is_err() {
        let main = run(w, "return document.querySelector('main').outerHTML").await;
        panic!("no {selector} on the page: {main}");
    }
}

async fn wait_for_callback(w: &Window) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = w.client.current_url().await.unwrap().to_string();
        if url.starts_with(CALLBACK) {
            return url;
        }
        assert!(Instant::now() < deadline, "still at {url}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn fill(w: &Window, name: &str, value: &str) {
    let script = format!("document.querySelector('[name={name}]').value = {value:?}; return null");
    run(w, &script).await;
}

async fn click(w: &Window, selector: &str) {
    let e = w.client.find(Locator::Css(selector)).await.unwrap();
    e.click().await.unwrap();
}

async fn h1(w: &Window) -> String {
    let v = run(w, "return document.querySelector('h1').textContent").await;
    v.as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_and_password_reset_pages_by_keyboard() {
    let emu = common::start().await;
    let base = emu.url().to_owned();
    let login = format!("{base}/login?{}", hosted_support::query());
    let driver = Chromedriver::start().await.unwrap();
    let w = driver
        .window(&AuthenticatorConfig::platform_passkey())
        .await
        .unwrap();

    w.client.goto(&login).await.unwrap();
    click(&w, "a[href^='/signup']").await;
    wait_for(&w, "#username").await;
    check_page(&w, "hosted-signup").await;
    let order = tab_order(&w, 4).await;
    assert_eq!(order, ["username", "password", "signUpButton", "Sign in"]);
    let outline = run(
        &w,
        "return getComputedStyle(document.activeElement).outlineStyle",
    )
    .await;
    assert_eq!(outline, "solid", "focus is visible");

    // By keyboard: a weak password first (the page says why), then a good one.
    tab_order(&w, 1).await;
    type_text(&w, "keys@example.com").await;
    press(&w, Key::Tab).await;
    type_text(&w, "password").await;
    press(&w, Key::Enter).await;
    wait_for(&w, "[role=alert]").await;
    check_page(&w, "hosted-signup-error").await;
    tab_order(&w, 2).await;
    type_text(&w, PASSWORD).await;
    press(&w, Key::Enter).await;
    wait_for(&w, "#code").await;
    assert_eq!(h1(&w).await, "Confirm your account");
    check_page(&w, "hosted-confirm").await;
    let order = tab_order(&w, 4).await;
    assert_eq!(order, ["username", "code", "confirmButton", "resend"]);
    tab_order(&w, 2).await;
    type_text(&w, &last_code(&base, "keys@example.com").await).await;
    press(&w, Key::Enter).await;
    let callback = wait_for_callback(&w).await;
    assert!(oauth_support::params(&callback).contains_key("code"));

    // The password reset pages, and the login page's notice after them.
    w.client.goto(&login).await.unwrap();
    click(&w, "a[href^='/forgotPassword']").await;
    wait_for(&w, "button[name=resetPasswordButton]").await;
    check_page(&w, "hosted-forgot").await;
    assert_eq!(
        tab_order(&w, 3).await,
        ["username", "resetPasswordButton", "Back to sign in"]
    );
    fill(&w, "username", "keys@example.com").await;
    click(&w, "button[name=resetPasswordButton]").await;
    wait_for(&w, "#confirm_password").await;
    check_page(&w, "hosted-confirm-forgot").await;
    fill(&w, "code", &last_code(&base, "keys@example.com").await).await;
    fill(&w, "password", "N3w-passw0rd").await;
    fill(&w, "confirm_password", "N3w-passw0rd").await;
    click(&w, "button[name=changePasswordButton]").await;
    wait_for(&w, "#notice").await;
    assert_eq!(h1(&w).await, "Sign in");
    check_page(&w, "hosted-login-notice").await;
    w.close().await;
}

/// After a password sign-in: a temporary password's "Change your password", then the offer
/// to add a passkey; and the page for an emailed sign-in code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn challenge_and_passkey_offer_pages() {
    let emu = common::start().await;
    let base = emu.url().to_owned();
    let factors = [
        cip::types::AuthFactorType::WebAuthn,
        cip::types::AuthFactorType::EmailOtp,
    ];
    common::allow_first_factors(&emu.sdk, POOL, &factors).await;
    emu.sdk
        .admin_create_user()
        .user_pool_id(POOL)
        .username("temp@example.com")
        .user_attributes(common::attr("email", "temp@example.com"))
        .user_attributes(common::attr("email_verified", "true"))
        .temporary_password("Temp0rary!")
        .message_action(cip::types::MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let login = format!("{base}/login?{}", hosted_support::query());
    let driver = Chromedriver::start().await.unwrap();
    let w = driver
        .window(&AuthenticatorConfig::platform_passkey())
        .await
        .unwrap();

    w.client.goto(&login).await.unwrap();
    fill(&w, "username", "temp@example.com").await;
    fill(&w, "password", "Temp0rary!").await;
    click(&w, "button[name=signInSubmitButton]").await;
    wait_for(&w, "input[name=new_password]").await;
    assert_eq!(h1(&w).await, "Change your password");
    check_page(&w, "hosted-new-password").await;
    fill(&w, "new_password", PASSWORD).await;
    click(&w, "button[name=newPasswordSubmitButton]").await;
    wait_for(&w, "#passkey-button").await;
    assert_eq!(h1(&w).await, "Add a passkey");
    check_page(&w, "hosted-passkey-offer").await;
    click(&w, "#passkey-skip").await;
    wait_for_callback(&w).await;

    w.client.delete_all_cookies().await.unwrap();
    w.client.goto(&login).await.unwrap();
    fill(&w, "username", "temp@example.com").await;
    click(&w, "button[name=factor][value=EMAIL_OTP]").await;
    wait_for(&w, "input[name=code]").await;
    assert_eq!(h1(&w).await, "Enter your code");
    check_page(&w, "hosted-email-code").await;
    w.close().await;
}
