//! What the Chromium tests share: running a script, reading texts, a PNG of the page under
//! the target directory, and axe-core's serious and critical violations.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use harness::driver::browser::chromedriver::Window;
use serde_json::Value;

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

/// Saves the page's PNG and checks it with axe-core.
pub async fn check_page(w: &Window, name: &str) {
    screenshot(w, name).await;
    let violations = axe(w).await;
    assert!(violations.is_empty(), "{name}: {violations:#?}");
}
