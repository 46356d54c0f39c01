//! The operator console in headless Chromium, after a federated sign-in: the journal lists the
//! flow, its sequence diagram has the four lifelines and the sign-in's steps in order (an
//! arrow opens from the keyboard), the outbox shows the OTP and a new one arrives by itself,
//! the IdP's user shows the passkey, the users page the federated user, and the faults page
//! sets and clears a fault. A PNG of each page is saved under the target directory; each page
//! (and the hosted pages: Cognito's login, the IdP's identifier, code and passkey steps) has no
//! serious axe-core violation and every control is reached by Tab. Needs
//! `chromium` and `chromium-driver`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod browser_support;
mod common;
mod federated;
mod idp_support;
mod oauth_support;

use browser_support::{axe, check_page, keyboard_unreachable, run, texts};
use fantoccini::Locator;
use fantoccini::key::Key;
use harness::authenticator::AuthenticatorConfig;
use harness::driver::browser::chromedriver::{Chromedriver, Window};
use serde_json::{Value, json};

/// Resolves once `selector`'s text contains `text` (a MutationObserver: the page's own
/// change, not a timer).
async fn until_text(w: &Window, selector: &str, text: &str) {
    let script = "const [sel, text, done] = arguments; const el = document.querySelector(sel);
        const ok = () => el.textContent.includes(text);
        if (ok()) return done(true);
        new MutationObserver((_, o) => { if (ok()) { o.disconnect(); done(true); } })
          .observe(el, {childList: true, subtree: true, characterData: true});";
    let v = w
        .client
        .execute_async(script, vec![json!(selector), json!(text)])
        .await
        .unwrap();
    assert_eq!(v, true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_shows_a_federated_sign_in() {
    let idp = idp_support::start().await;
    let mut device = idp_support::authenticator(21);
    let callback = federated::sign_in(&idp, "console@example.com", &mut device).await;
    assert!(
        oauth_support::params(&callback).contains_key("code"),
        "{callback}"
    );
    let base = idp.emu.cognito_url.clone();
    let otp = idp.otp("console@example.com").await;

    let driver = Chromedriver::start().await.unwrap();
    let w = driver
        .window(&AuthenticatorConfig::platform_passkey())
        .await
        .unwrap();

    // The journal: the sign-in's Cognito flow, with the IdP interaction it started.
    w.client
        .goto(&format!("{base}/_emulator/ui/journal"))
        .await
        .unwrap();
    let firsts = texts(&w, "tbody tr td:nth-child(3)").await;
    assert!(
        firsts.contains(&"federation.redirect_to_idp".to_owned())
            || firsts.contains(&"oauth2.authorize".to_owned()),
        "{firsts:?}"
    );
    let linked = run(&w, "return [...document.querySelectorAll('tbody tr')].find(r => r.textContent.includes('+ IdP')).querySelector('a').href").await;
    check_page(&w, "journal").await;

    // Its diagram: the lifelines, then the steps in the order they happened.
    w.client.goto(linked.as_str().unwrap()).await.unwrap();
    assert_eq!(
        texts(&w, ".lifeline").await,
        ["App", "Cognito", "IdP", "Lambda"]
    );
    let steps = texts(&w, ".step-name").await;
    let expected = [
        "federation.redirect_to_idp",
        "oidc.authorize",
        "otp.sent",
        "webauthn.registered",
        "oidc.code_issued",
        "federation.idpresponse",
        "oidc.tokens_issued",
        "federation.id_token_valid",
        "oidc.userinfo",
        "federation.user_created",
        "oauth2.code_issued",
    ];
    let positions: Vec<usize> = expected
        .iter()
        .map(|s| {
            steps
                .iter()
                .position(|t| t == s)
                .unwrap_or_else(|| panic!("no {s} in {steps:?}"))
        })
        .collect();
    assert!(positions.windows(2).all(|p| p[0] < p[1]), "{steps:?}");
    let ends = run(&w, "const d = [...document.querySelectorAll('details.arrow')].find(d => d.textContent.includes('oidc.tokens_issued')); return [d.dataset.from, d.dataset.to]").await;
    assert_eq!(ends, json!(["Cognito", "IdP"]));
    // Keyboard: a step's summary opens its event.
    let summary = w
        .client
        .find(Locator::Css("details.arrow summary"))
        .await
        .unwrap();
    run(
        &w,
        "document.querySelector('details.arrow summary').focus(); return null",
    )
    .await;
    summary.send_keys(&Key::Enter.to_string()).await.unwrap();
    assert_eq!(
        run(&w, "return document.querySelector('details.arrow').open").await,
        true
    );
    check_page(&w, "flow").await;

    // The outbox: the OTP, and a new one appears without reloading.
    w.client
        .goto(&format!("{base}/_emulator/ui/outbox"))
        .await
        .unwrap();
    assert!(texts(&w, "#inbox code").await.contains(&otp));
    let ix = federated::to_idp(&idp).await;
    idp.step(
        &ix,
        "identifier",
        json!({"identifier": "second@example.com"}),
    )
    .await;
    let second = idp.otp("second@example.com").await;
    until_text(&w, "#inbox", &second).await;
    check_page(&w, "outbox").await;

    // The IdP's user and their passkey; the federated user in the pool.
    w.client
        .goto(&format!("{base}/_emulator/ui/idp"))
        .await
        .unwrap();
    let users = oauth_support::journal(&base, "name=webauthn.registered").await;
    assert_eq!(users.len(), 1);
    let (_, v) = idp
        .get_json("/_emulator/idp/users?identifier=console@example.com")
        .await;
    let credential = v["users"][0]["credentials"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = run(&w, "return document.querySelector('main').textContent").await;
    let page = page.as_str().unwrap();
    assert!(
        page.contains("console@example.com") && page.contains(&credential),
        "{page}"
    );
    assert!(!page.contains("None"), "every passkey field known: {page}");
    assert!(
        page.contains("internal") || page.contains("hybrid"),
        "transports: {page}"
    );
    check_page(&w, "idp").await;
    w.client
        .goto(&format!("{base}/_emulator/ui/users"))
        .await
        .unwrap();
    let page = run(&w, "return document.querySelector('main').textContent").await;
    assert!(
        page.as_str().unwrap().contains("EXTERNAL_PROVIDER"),
        "{page}"
    );
    assert!(page.as_str().unwrap().contains("Mosaic"), "{page}");
    check_page(&w, "users").await;
    w.client
        .goto(&format!("{base}/_emulator/ui"))
        .await
        .unwrap();
    assert!(texts(&w, "code").await.contains(&common::CLIENT.to_owned()));
    check_page(&w, "pools").await;

    // Faults: one button sets one, the page lists it, another clears them.
    w.client
        .goto(&format!("{base}/_emulator/ui/faults"))
        .await
        .unwrap();
    let button = |text: &str| {
        Locator::XPath(Box::leak(
            format!("//button[text()='{text}']").into_boxed_str(),
        ))
    };
    // WebDriver's click waits for the page the form posts to.
    w.client
        .find(button("OTPs dropped"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let shown = "//ul[@id='active-faults']/li[text()='OTP delivery dropped']";
    w.client
        .wait()
        .for_element(Locator::XPath(shown))
        .await
        .unwrap();
    check_page(&w, "faults").await;
    let listed: Value = reqwest::get(format!("{base}/_emulator/faults"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["faults"][0]["fault"], "otp_delivery");
    w.client
        .find(button("Clear all faults"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let none = "//p[@id='active-faults'][text()='None: everything behaves normally.']";
    w.client
        .wait()
        .for_element(Locator::XPath(none))
        .await
        .unwrap();
    // The checker itself: a button without a name is a critical violation.
    run(
        &w,
        "document.querySelector('main').append(document.createElement('button')); return null",
    )
    .await;
    let found = axe(&w).await;
    assert!(
        found.iter().any(|v| v.starts_with("button-name")),
        "{found:?}"
    );
    // And a control taken out of the tab order is one the keyboard does not reach.
    assert_eq!(keyboard_unreachable(&w).await, Vec::<String>::new());
    run(
        &w,
        "const b = document.createElement('button'); b.id = 'mouse-only'; b.tabIndex = -1; \
         b.textContent = 'Mouse only'; document.querySelector('main').append(b); return null",
    )
    .await;
    assert_eq!(
        keyboard_unreachable(&w).await,
        ["button#mouse-only \"Mouse only\""]
    );
    w.close().await;
}

/// The hosted pages a user signs in on: Cognito's login page, then the IdP's identifier, code
/// and passkey steps, each checked with axe-core and for controls Tab does not reach.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosted_pages_have_no_serious_accessibility_violations() {
    let idp = idp_support::start().await;
    let base = idp.emu.cognito_url.clone();
    let driver = Chromedriver::start().await.unwrap();
    let w = driver
        .window(&AuthenticatorConfig::platform_passkey())
        .await
        .unwrap();
    let authorize = format!(
        "{base}/oauth2/authorize?client_id={}&response_type=code&scope=openid+email&redirect_uri={}",
        common::CLIENT,
        oauth_support::CALLBACK
    );
    w.client.goto(&authorize).await.unwrap();
    check_page(&w, "hosted-login").await;
    w.client
        .goto(&format!("{authorize}&identity_provider=Mosaic"))
        .await
        .unwrap();
    check_page(&w, "idp-login").await;
    let on = |step: &str| format!("#s-{step}.on");
    let field = w.client.find(Locator::Id("identifier")).await.unwrap();
    field.send_keys("keyboard@example.com").await.unwrap();
    field.send_keys(&Key::Enter.to_string()).await.unwrap();
    wait_for(&w, &on("otp")).await;
    check_page(&w, "idp-otp").await;
    let code = idp.otp("keyboard@example.com").await;
    let otp = w.client.find(Locator::Id("otp")).await.unwrap();
    otp.send_keys(&code).await.unwrap();
    otp.send_keys(&Key::Enter.to_string()).await.unwrap();
    wait_for(&w, &on("register")).await;
    check_page(&w, "idp-passkey").await;
    w.close().await;
}

/// Waits (bounded, by WebDriver) for an element `selector` finds.
async fn wait_for(w: &Window, selector: &str) {
    w.client
        .wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("no {selector}: {e}"));
}
