//! What the Chromium tests share: running a script, reading texts, a PNG of the page under
//! the target directory, axe-core's serious and critical violations, and the controls the
//! keyboard does not reach.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use harness::driver::browser::chromedriver::Window;
use serde_json::Value;

/// Presses and releases `key` on the focused element.
pub async fn press(w: &Window, key: Key) {
    let k: char = key.into();
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: k })
        .then(KeyAction::Up { value: k });
    w.client.perform_actions(keys).await.unwrap();
}

/// The page's visible controls (links, buttons, fields, summaries, anything with a tab stop)
/// that Tab, pressed from the top of the page once per control and then twice more, never
/// focuses: each as `tag#id "text"`.
pub async fn keyboard_unreachable(w: &Window) -> Vec<String> {
    let controls = "[...document.querySelectorAll('a[href], button, input:not([type=hidden]), \
        select, textarea, summary, [tabindex]:not([tabindex=\"-1\"])')]
        .filter(e => !e.disabled && e.getClientRects().length > 0 && !e.closest('[hidden], [inert]')
          && getComputedStyle(e).visibility !== 'hidden')";
    let count = run(
        w,
        &format!("document.activeElement.blur(); return {controls}.length"),
    )
    .await
    .as_u64()
    .unwrap();
    for _ in 0..count.min(200) + 2 {
        press(w, Key::Tab).await;
        run(
            w,
            "const e = document.activeElement; if (e) e.dataset.kbReached = '1'; return null",
        )
        .await;
    }
    let v = run(
        w,
        &format!(
            "const out = {controls}.filter(e => e.dataset.kbReached !== '1')
              .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' \"' + e.textContent.trim().slice(0, 40) + '\"');
             document.querySelectorAll('[data-kb-reached]').forEach(e => delete e.dataset.kbReached);
             document.activeElement.blur();
             return out"
        ),
    )
    .await;
    serde_json::from_value(v).unwrap()
}

pub async fn run(w: &Window, script: &str) -> Value {
    w.client.execute(script, vec![]).await.unwrap()
}

/// The texts of the elements matching `selector`.
pub async fn texts(w: &Window, selector: &str) -> Vec<String> {
    let v = run(
        w,
        &format!(
            "return [...document.querySelectorAll({selector:?})].map(e => e.textContent.trim())"
        ),
    )
    .await;
    serde_json::from_value(v).unwrap()
}

/// Saves the page as `<name>.png` under the test's target directory.
pub async fn screenshot(w: &Window, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("console");
    std::fs::create_dir_all(&dir).unwrap();
    let png = w.client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// The serious and critical accessibility violations axe-core (from npm, in
/// `fixtures/clients`: `just setup`) finds on the page.
pub async fn axe(w: &Window) -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/clients/node_modules/axe-core/axe.min.js"
    );
    let source = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}: run `just setup` (npm ci in fixtures/clients)"));
    w.client
        .execute(&format!("{source}; return null"), vec![])
        .await
        .unwrap();
    let script = "const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']})
          .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
          .catch(e => done(['axe failed: ' + e]));";
    let v = w.client.execute_async(script, vec![]).await.unwrap();
    serde_json::from_value(v).unwrap()
}

/// Saves the page's PNG, checks it with axe-core, and checks that the keyboard reaches every
/// control.
pub async fn check_page(w: &Window, name: &str) {
    screenshot(w, name).await;
    let violations = axe(w).await;
    assert!(violations.is_empty(), "{name}: {violations:#?}");
    let unreachable = keyboard_unreachable(w).await;
    assert!(
        unreachable.is_empty(),
        "{name}: not reached by Tab: {unreachable:#?}"
    );
}
