//! Server-rendered pages of the hosted experience: the login page (one page, one small inline
//! script driving the JSON endpoints), the phone page of a WebAuthn QR ticket, and error pages.
//! No JS build step: the script uses `PublicKeyCredential.parse*OptionsFromJSON` and `toJSON()`.

use axum::http::StatusCode;
use axum::response::Html;
use serde_json::Value;

use super::error::OAuthError;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The hosted experience's look: a card under the vendor's name, one primary action per step
/// (its own design, no copied assets).
const STYLE: &str = "body{margin:0;min-height:100vh;display:flex;justify-content:center;align-items:flex-start;\
background:#eef1f6;font:16px/1.5 system-ui,sans-serif;color:#1b2330}\
main{background:#fff;margin:3rem 1rem;padding:2rem;width:100%;max-width:24rem;border-radius:12px;\
box-shadow:0 2px 10px rgba(20,30,60,.12)}.brand{margin:0 0 1.2rem;font-weight:700;letter-spacing:.02em;color:#3b4cca}\
h1{font-size:1.5rem;margin:0 0 .3rem}section{display:none}section.on{display:block}\
label{display:block;font-weight:600;margin:1rem 0 .3rem}input{font:inherit;width:100%;padding:.55rem;\
box-sizing:border-box;border:1px solid #8a94a6;border-radius:6px}\
button{display:block;width:100%;box-sizing:border-box;margin:.7rem 0 0;padding:.65rem;font:inherit;font-weight:600;\
border-radius:6px;border:1px solid #3b4cca;background:#3b4cca;color:#fff;cursor:pointer}\
button[type=button]:not(#passkey-register):not(#passkey-login):not(#phone-continue){background:#fff;color:#3b4cca}\
:focus-visible{outline:3px solid #f0b400;outline-offset:2px}#error{color:#c4161c;font-weight:600;min-height:1.2em;margin:.5rem 0}\
.muted{color:#5b6578;font-size:.95rem}#qr{text-align:center}#qr img{margin:.5rem auto;display:block}a{color:#3b4cca}";

fn shell(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>\
         <p class=\"brand\">Mosaic</p>{body}</main></body></html>",
        escape(title)
    )
}

/// A plain page with a heading and a message.
pub fn message_page(title: &str, message: &str) -> String {
    shell(
        title,
        &format!(
            "<h1>{}</h1><p id=\"message\">{}</p>",
            escape(title),
            escape(message)
        ),
    )
}

/// The HTTP 400 page of an authorization request that cannot be redirected.
pub fn error_page(e: &OAuthError) -> (StatusCode, Html<String>) {
    let body = format!(
        "<h1>Sign-in error</h1><p>The application sent an invalid sign-in request.</p>\
         <p id=\"error\" role=\"alert\"><code>{}</code>: <span id=\"error_description\">{}</span></p>",
        escape(e.error),
        escape(&e.description)
    );
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Html(shell("Sign-in error", &body)))
}

pub fn signed_out() -> String {
    message_page("Signed out", "You are signed out.")
}

/// JSON for a `<script type="application/json">` block (no `</script>` break-out).
fn script_json(v: &Value) -> String {
    v.to_string().replace('<', "\\u003c")
}

const LOGIN_BODY: &str = r#"<h1>Sign in</h1><p class="muted" id="app"></p><p id="error" role="alert"></p>
<section id="s-identifier"><form id="f-identifier"><label for="identifier" id="identifier-label">Email</label>
<input id="identifier" name="identifier" autocomplete="username webauthn" required>
<button id="identifier-submit" type="submit">Continue</button></form></section>
<section id="s-otp"><form id="f-otp"><p>Enter the code sent to <b id="otp-destination"></b>.</p>
<label for="otp">Verification code</label>
<input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" required>
<button id="otp-submit" type="submit">Verify</button><button id="otp-resend" type="button">Send a new code</button></form></section>
<section id="s-register"><p>Your identifier is verified. Create a passkey to sign in next time.</p>
<button id="passkey-register" type="button">Create a passkey</button></section>
<section id="s-passkey"><p>Welcome back, <b id="who"></b>.</p>
<button id="passkey-login" type="button">Sign in with a passkey</button>
<button id="use-code" type="button">Use a code instead</button></section>
<section id="s-other"><button id="other-device" type="button">Use another device</button>
<div id="qr" hidden><p>Scan this code with your phone, or open <a id="qr-url"></a> on it.</p><img id="qr-img" alt="QR code" width="240" height="240"><p id="qr-status" class="muted"></p>
<button id="qr-cancel" type="button">Cancel</button></div></section>
<script type="application/json" id="state">__STATE__</script>
<script>
const S = JSON.parse(document.getElementById('state').textContent);
const $ = id => document.getElementById(id);
const api = p => '/cis/api/interactions/' + S.interaction + p;
async function call(path, body, method) {
  const r = await fetch(api(path), {method: method || 'POST', headers: {'content-type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body)});
  const j = r.status === 204 ? {} : await r.json();
  if (!r.ok) throw new Error((j.message || ['request failed']).join(' '));
  return j;
}
function fail(e) { $('error').textContent = e.message || String(e); }
function ok() { $('error').textContent = ''; }
let ticket = null;
async function render(v) {
  Object.assign(S, v);
  for (const s of document.querySelectorAll('section')) s.className = '';
  $('app').textContent = 'to continue to ' + S.app;
  $('identifier-label').textContent = S.identifier_kind === 'phone' ? 'Phone number' : 'Email';
  if (S.identifier) $('identifier').value = S.identifier;
  $('s-' + S.step).className = 'on';
  if (S.step === 'otp') $('otp-destination').textContent = S.otp ? S.otp.destination : '';
  if (S.step === 'passkey') $('who').textContent = S.identifier;
  if ((S.step === 'register' || S.step === 'passkey') && S.qr_enabled) {
    $('s-other').className = 'on';
    const uvpa = window.PublicKeyCredential && await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable().catch(() => false);
    if (!uvpa && !ticket) startQr().catch(fail);
  }
}
async function ceremony() {
  ok();
  const o = await call('/webauthn/options', {});
  let cred;
  if (o.ceremony === 'create') cred = await navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(o.publicKey)});
  else cred = await navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(o.publicKey)});
  const done = await call(o.ceremony === 'create' ? '/webauthn/register' : '/webauthn/authenticate', cred.toJSON());
  location.assign(done.redirect);
}
async function startQr() {
  ok();
  const t = await call('/qr', {});
  ticket = t.ticket;
  $('qr').hidden = false; $('qr-img').src = t.qr_svg; $('qr-url').href = t.url; $('qr-url').textContent = t.url;
  $('qr-status').textContent = 'Waiting for your phone…';
  follow(ticket, 'pending').catch(fail);
}
// Long polls the ticket: the server answers when its status is no longer `seen`.
async function follow(t, seen) {
  while (ticket === t) {
    const s = await call('/qr/' + t + '?seen=' + encodeURIComponent(seen), undefined, 'GET');
    if (ticket !== t) return;
    seen = s.status;
    $('qr-status').textContent = 'Status: ' + s.status;
    if (s.status === 'success') { location.assign(s.redirect); return; }
    if (['error', 'timeout', 'aborted'].includes(s.status)) { ticket = null; throw new Error(s.error || ('QR ' + s.status)); }
  }
}
$('f-identifier').onsubmit = e => { e.preventDefault(); ok(); call('/identifier', {identifier: $('identifier').value}).then(render).catch(fail); };
$('f-otp').onsubmit = e => { e.preventDefault(); ok(); call('/otp/verify', {code: $('otp').value}).then(render).catch(fail); };
$('otp-resend').onclick = () => { ok(); call('/otp/send', {}).then(render).catch(fail); };
$('use-code').onclick = () => { ok(); call('/otp/send', {}).then(render).catch(fail); };
$('passkey-register').onclick = () => ceremony().catch(fail);
$('passkey-login').onclick = () => ceremony().catch(fail);
$('other-device').onclick = () => startQr().catch(fail);
$('qr-cancel').onclick = () => { if (ticket) call('/qr/' + ticket, undefined, 'DELETE').catch(fail); ticket = null; $('qr').hidden = true; };
render(S);
</script>"#;

/// The hosted login page for an interaction `view` (see `experience::flow::view`).
pub fn login(view: &Value) -> String {
    shell(
        "Sign in",
        &LOGIN_BODY.replace("__STATE__", &script_json(view)),
    )
}

const PHONE_BODY: &str = r#"<h1>Continue on this device</h1><p id="error" role="alert"></p>
<p id="status" class="muted">Connecting…</p><button id="phone-continue" type="button" hidden>Continue with a passkey</button>
<script type="application/json" id="state">__STATE__</script>
<script>
const T = JSON.parse(document.getElementById('state').textContent);
const $ = id => document.getElementById(id);
async function call(p, body) {
  const r = await fetch('/cis/api/tickets/' + T + p, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body || {})});
  const j = await r.json();
  if (!r.ok) throw new Error((j.message || ['request failed']).join(' '));
  return j;
}
let options = null;
call('/attach').then(o => { options = o; $('status').textContent = 'Signing in as ' + o.identifier; $('phone-continue').hidden = false; })
  .catch(e => { $('error').textContent = e.message; $('status').textContent = ''; });
$('phone-continue').onclick = async () => {
  try {
    const cred = options.ceremony === 'create'
      ? await navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey)})
      : await navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey)});
    await call('/finish', cred.toJSON());
    $('status').textContent = 'Done. Return to your first device.'; $('phone-continue').hidden = true;
  } catch (e) { $('error').textContent = e.message; }
};
</script>"#;

/// The page a phone opens from the QR code.
pub fn phone(ticket: &str) -> String {
    shell(
        "Continue sign-in",
        &PHONE_BODY.replace("__STATE__", &script_json(&Value::String(ticket.to_owned()))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_cannot_break_out_of_its_script_block() {
        let page = login(&serde_json::json!({"identifier": "</script><script>alert(1)</script>"}));
        assert!(!page.contains("</script><script>alert(1)"));
        assert_eq!(escape("<a href=\"x\">"), "&lt;a href=&quot;x&quot;&gt;");
    }
}
