//! A forgotten password in the hosted UI, over HTTP as a browser would: the login page's
//! "Forgot your password?", `/forgotPassword` (a code to the outbox), `/confirmForgotPassword`
//! (the code and the new password twice), then the login page saying so, where only the new
//! password signs in. Bad input is answered on the page, spends no code and is journaled.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod hosted_support;
mod oauth_support;

use hosted_support::{Browser, Page, query, start_on_manual_clock};
use oauth_support::{CALLBACK, journal, submit_login};

use common::{CLIENT, last_code};

const OLD: &str = "Passw0rd!";
const NEW: &str = "N3w-passw0rd";

/// From the login page to the new-password form, the code sent.
async fn ask_for_code(b: &mut Browser, username: &str) -> Page {
    let login = b.get(&format!("/login?{}", query())).await;
    let form = b.get(&login.link("Forgot your password?")).await;
    assert_eq!(form.status, 200);
    form.says("<h1>Reset your password</h1>")
        .says("to continue to demo-web-app")
        .says("<label for=\"username\">Email address</label>");
    b.submit(&form, &[("username", username)]).await
}

async fn new_password(b: &mut Browser, page: &Page, code: &str, pw: &str, again: &str) -> Page {
    let fields = [
        ("code", code),
        ("password", pw),
        ("confirm_password", again),
    ];
    b.submit(page, &fields).await
}

#[tokio::test]
async fn a_reset_password_signs_in_and_the_old_one_does_not() {
    let emu = common::start().await;
    let base = emu.url().to_owned();
    common::confirmed_user(&emu.sdk, "forgetful@example.com", OLD).await;
    let mut b = Browser::new(&base);
    let reset = ask_for_code(&mut b, "forgetful@example.com").await;
    assert_eq!(reset.status, 200);
    reset
        .says("<h1>Choose a new password</h1>")
        .says("We sent a code by email to f***@e***. Enter it below to choose a new password.")
        .says("<label for=\"code\">Verification code</label>")
        .says("<label for=\"password\">New password</label>")
        .says("<label for=\"confirm_password\">Confirm new password</label>");
    let code = last_code(&base, "forgetful@example.com").await;
    let done = new_password(&mut b, &reset, &code, NEW, NEW).await;
    assert_eq!(done.status, 302, "{}", done.html);
    let login = done.location.unwrap();
    assert!(
        login.starts_with("/login?") && login.contains("state=st-9"),
        "{login}"
    );
    b.get(&login)
        .await
        .says("Your password has been reset. Sign in with your new password.");

    let login_path = format!("/login?{}", query());
    let old = submit_login(&base, &login_path, "forgetful@example.com", OLD).await;
    assert_eq!(old.status(), 200);
    assert!(
        old.text()
            .await
            .unwrap()
            .contains("Incorrect username or password.")
    );
    let new = submit_login(&base, &login_path, "forgetful@example.com", NEW).await;
    assert_eq!(new.status(), 302);
    assert!(oauth_support::location(&new).starts_with(CALLBACK));

    let asked = journal(&base, "kind=flow_step&name=hosted.forgot_password").await;
    let flow = asked[0]["flow"].as_str().unwrap();
    let reset_steps = journal(&base, &format!("flow={flow}&name=hosted.password_reset")).await;
    assert_eq!(
        reset_steps.len(),
        1,
        "one flow from the request to the reset"
    );
}

#[tokio::test]
async fn bad_reset_input_is_answered_on_the_page_and_spends_no_code() {
    let emu = common::start().await;
    let base = emu.url().to_owned();
    common::confirmed_user(&emu.sdk, "careful@example.com", OLD).await;
    let mut b = Browser::new(&base);

    let unknown = ask_for_code(&mut b, "nobody@example.com").await;
    unknown
        .says("<h1>Reset your password</h1>")
        .says("Username/client id combination not found.");
    let empty = b.submit(&unknown, &[("username", "")]).await;
    empty.says("Enter your email address.");

    let reset = ask_for_code(&mut b, "careful@example.com").await;
    let code = last_code(&base, "careful@example.com").await;
    let page = new_password(&mut b, &reset, &code, NEW, "N3w-passw0rD").await;
    page.says("The passwords do not match: type the same new password twice.");
    let page = new_password(&mut b, &page, &code, "weakpass", "weakpass").await;
    page.says("Password did not conform with policy: Password must have uppercase characters");
    let page = new_password(&mut b, &page, "000000", NEW, NEW).await;
    page.says("Invalid verification code provided, please try again.");
    let page = new_password(&mut b, &page, "", NEW, NEW).await;
    page.says("Enter your verification code.");
    // None of that spent the code or changed the password.
    let login_path = format!("/login?{}", query());
    let still = submit_login(&base, &login_path, "careful@example.com", OLD).await;
    assert_eq!(still.status(), 302);
    let done = new_password(&mut b, &page, &code, NEW, NEW).await;
    assert_eq!(done.status, 302, "{}", done.html);

    // Pages for an app that cannot be trusted, and a forged post.
    let bad = b
        .get(&format!(
            "/forgotPassword?client_id={CLIENT}&redirect_uri=https://evil.example/cb&response_type=code"
        ))
        .await;
    assert_eq!(bad.status, 400);
    bad.says("redirect_mismatch");
    let unknown_client = b
        .get("/confirmForgotPassword?client_id=nosuchclient&redirect_uri=http://localhost:3000/callback&response_type=code")
        .await;
    assert_eq!(unknown_client.status, 400);
    let forged = Browser::new(&base)
        .post(
            &format!("/confirmForgotPassword?{}", query()),
            &[("username".into(), "careful@example.com".into())],
        )
        .await;
    assert_eq!(forged.status, 400);
    forged.says("CSRF");

    let forgot = journal(&base, "kind=rejected&name=hosted.forgot_password").await;
    assert_eq!(forgot.len(), 3, "{forgot:#?}");
    assert_eq!(forgot[0]["detail"]["error"], "UserNotFoundException");
    let reset = journal(&base, "kind=rejected&name=hosted.password_reset").await;
    assert_eq!(reset.len(), 6, "{reset:#?}");
    let text = serde_json::to_string(&reset).unwrap();
    assert!(!text.contains(NEW) && !text.contains(&code), "{text}");
}

/// A code past its hour is refused; a new one from "Send a new one" resets the password.
#[tokio::test]
async fn an_expired_reset_code_is_refused() {
    let (emu, clock) = start_on_manual_clock().await;
    let base = emu.url().to_owned();
    common::confirmed_user(&emu.sdk, "slowpoke@example.com", OLD).await;
    let mut b = Browser::new(&base);
    let reset = ask_for_code(&mut b, "slowpoke@example.com").await;
    let first = last_code(&base, "slowpoke@example.com").await;
    clock.advance_secs(2 * 3600);
    let expired = new_password(&mut b, &reset, &first, NEW, NEW).await;
    expired.says("Invalid code provided, please request a code again.");
    let again = b.get(&expired.link("Send a new one")).await;
    let reset = b
        .submit(&again, &[("username", "slowpoke@example.com")])
        .await;
    let second = last_code(&base, "slowpoke@example.com").await;
    let done = new_password(&mut b, &reset, &second, NEW, NEW).await;
    assert_eq!(done.status, 302, "{}", done.html);
}

/// A client that prevents user existence errors: an unknown user's request looks like a
/// known one's (a code "sent" to a simulated destination, which never comes), and so does a
/// code typed for them, so the pages reveal nothing.
#[tokio::test]
async fn an_unknown_user_is_not_revealed_when_the_client_says_so() {
    let mut config = emulator::Config::default_config();
    config.cognito.pools[0].clients[0].prevent_user_existence_errors = Some("ENABLED".into());
    let emu = common::start_with(config).await;
    let mut b = Browser::new(emu.url());
    let page = ask_for_code(&mut b, "ghost@example.com").await;
    page.says("<h1>Choose a new password</h1>")
        .says("g***@e***");
    assert!(!page.html.contains("does not exist"));
    let mut known = Browser::new(emu.url());
    common::confirmed_user(&emu.sdk, "real@example.com", OLD).await;
    ask_for_code(&mut known, "real@example.com")
        .await
        .says("r***@e***");
    let outbox: serde_json::Value = reqwest::get(format!("{}/_emulator/outbox", emu.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !outbox.to_string().contains("ghost@example.com"),
        "{outbox}"
    );
    let typed = new_password(&mut b, &page, "123456", NEW, NEW).await;
    typed.says("Invalid verification code provided, please try again.");
    assert!(!typed.html.contains("does not exist"));
}
