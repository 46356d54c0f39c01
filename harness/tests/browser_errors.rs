//! Ceremonies a browser rejects, each with the error a page would see: wrong RP ID for the
//! origin, an excluded credential, UV required but unavailable, storage full, no usable
//! algorithm, the user refusing, no matching credential, and the wrong attachment.

// Integration tests: helpers outside #[test] fns may unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use harness::authenticator::{
    Attachment, AuthenticatorConfig, ErrorName, UserPresence, VirtualAuthenticator,
};
use serde_json::json;

const ORIGIN: &str = "https://login.example.org";

fn creation(user: u8) -> serde_json::Value {
    json!({
        "rp": {"id": "example.org", "name": "Example"},
        "user": {"id": base64_user(user), "name": "u", "displayName": "U"},
        "challenge": "AAECAwQFBgcICQoLDA0ODw",
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        "authenticatorSelection": {"residentKey": "required", "userVerification": "preferred"},
    })
}

fn base64_user(user: u8) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([user; 8])
}

fn device(config: AuthenticatorConfig) -> VirtualAuthenticator {
    VirtualAuthenticator::with_seed(config, 11).unwrap()
}

/// Runs `create` and checks the error name and that the reason mentions `why`.
fn check_create(
    device: &mut VirtualAuthenticator,
    options: serde_json::Value,
    origin: &str,
    name: ErrorName,
    why: &str,
) {
    let err = device.create(&options.to_string(), origin).unwrap_err();
    assert_eq!(err.name, name, "{err}");
    assert!(err.reason.contains(why), "{err:?} should mention {why:?}");
}

#[test]
fn create_errors() {
    let platform = AuthenticatorConfig::platform_passkey;
    check_create(
        &mut device(platform()),
        creation(1),
        "https://example.com",
        ErrorName::SecurityError,
        "is not a registrable domain suffix",
    );
    check_create(
        &mut device(platform()),
        creation(1),
        "http://example.org",
        ErrorName::SecurityError,
        "not a secure context",
    );
    let mut weak = creation(1);
    weak["authenticatorSelection"]["userVerification"] = json!("required");
    let no_uv = AuthenticatorConfig {
        uv_capable: false,
        ..platform()
    };
    check_create(
        &mut device(no_uv),
        weak.clone(),
        ORIGIN,
        ErrorName::NotAllowedError,
        "cannot verify users",
    );
    let uv_fails = AuthenticatorConfig {
        uv_succeeds: false,
        ..platform()
    };
    check_create(
        &mut device(uv_fails),
        weak,
        ORIGIN,
        ErrorName::NotAllowedError,
        "failed verification",
    );
    let mut rs = creation(1);
    rs["pubKeyCredParams"] =
        json!([{"type": "public-key", "alg": -257}, {"type": "public-key", "alg": -8}]);
    check_create(
        &mut device(platform()),
        rs,
        ORIGIN,
        ErrorName::NotSupportedError,
        "supports ES256",
    );
    let refuses = AuthenticatorConfig {
        user_presence: UserPresence::Refuse,
        ..platform()
    };
    check_create(
        &mut device(refuses),
        creation(1),
        ORIGIN,
        ErrorName::NotAllowedError,
        "refused consent",
    );
    let mut roaming = creation(1);
    roaming["authenticatorSelection"]["authenticatorAttachment"] = json!("cross-platform");
    check_create(
        &mut device(platform()),
        roaming,
        ORIGIN,
        ErrorName::NotAllowedError,
        "this authenticator is platform",
    );
    let no_rk = AuthenticatorConfig {
        resident_keys: false,
        ..platform()
    };
    check_create(
        &mut device(no_rk),
        creation(1),
        ORIGIN,
        ErrorName::NotAllowedError,
        "cannot store discoverable",
    );
    let mut bad = creation(1);
    bad["challenge"] = json!("not base64!");
    check_create(
        &mut device(platform()),
        bad,
        ORIGIN,
        ErrorName::EncodingError,
        "challenge",
    );
}

#[test]
fn excluded_credential_is_invalid_state() {
    let mut phone = device(AuthenticatorConfig::platform_passkey());
    let made = phone.create(&creation(1).to_string(), ORIGIN).unwrap();
    let mut again = creation(2);
    again["excludeCredentials"] = json!([{"type": "public-key", "id": made["id"]}]);
    check_create(
        &mut phone,
        again.clone(),
        ORIGIN,
        ErrorName::InvalidStateError,
        "already registered",
    );
    // Another authenticator does not hold it, so it may register.
    let mut other = device(AuthenticatorConfig::platform_passkey());
    other.create(&again.to_string(), ORIGIN).unwrap();
}

#[test]
fn full_storage_is_not_allowed_and_same_user_replaces() {
    let config = AuthenticatorConfig {
        capacity: 2,
        ..AuthenticatorConfig::security_key()
    };
    let mut key = device(config);
    key.create(&creation(1).to_string(), ORIGIN).unwrap();
    key.create(&creation(2).to_string(), ORIGIN).unwrap();
    // Re-registering user 1 replaces its credential instead of taking a slot.
    key.create(&creation(1).to_string(), ORIGIN).unwrap();
    assert_eq!(key.credentials().len(), 2);
    check_create(
        &mut key,
        creation(3),
        ORIGIN,
        ErrorName::NotAllowedError,
        "storage is full (2 of 2)",
    );
}

#[test]
fn get_errors() {
    let mut phone = device(AuthenticatorConfig::platform_passkey());
    let made = phone.create(&creation(1).to_string(), ORIGIN).unwrap();
    let request = |rp: &str, allow: serde_json::Value, uv: &str| {
        json!({"challenge": "AAEC", "rpId": rp, "allowCredentials": allow, "userVerification": uv})
            .to_string()
    };
    let check =
        |phone: &mut VirtualAuthenticator, options: String, origin: &str, name, why: &str| {
            let err = phone.get(&options, origin).unwrap_err();
            assert_eq!(err.name, name, "{err}");
            assert!(err.reason.contains(why), "{err:?} should mention {why:?}");
        };
    let mine = json!([{"type": "public-key", "id": made["id"]}]);
    let unknown = json!([{"type": "public-key", "id": "AAAA"}]);
    check(
        &mut phone,
        request("example.org", mine.clone(), "preferred"),
        "https://evil.example",
        ErrorName::SecurityError,
        "registrable domain suffix",
    );
    check(
        &mut phone,
        request("example.org", unknown, "preferred"),
        ORIGIN,
        ErrorName::NotAllowedError,
        "none of the 1 credentials",
    );
    check(
        &mut phone,
        request("other.example.org", json!([]), "preferred"),
        "https://other.example.org",
        ErrorName::NotAllowedError,
        "no discoverable credential",
    );
    phone.config_mut().uv_succeeds = false;
    check(
        &mut phone,
        request("example.org", mine.clone(), "required"),
        ORIGIN,
        ErrorName::NotAllowedError,
        "failed verification",
    );
    phone.config_mut().uv_succeeds = true;
    phone.config_mut().attachment = Attachment::Platform;
    phone.config_mut().user_presence = UserPresence::Refuse;
    check(
        &mut phone,
        request("example.org", mine, "preferred"),
        ORIGIN,
        ErrorName::NotAllowedError,
        "refused consent",
    );
}

#[test]
fn skipped_presence_signs_with_up_clear() {
    let config = AuthenticatorConfig {
        user_presence: UserPresence::SkipFlag,
        ..AuthenticatorConfig::platform_passkey()
    };
    let mut faulty = device(config);
    let made = faulty.create(&creation(1).to_string(), ORIGIN).unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let data = b64
        .decode(made["response"]["authenticatorData"].as_str().unwrap())
        .unwrap();
    assert_eq!(data[32] & 0x01, 0, "UP clear");
    assert_eq!(data[32] & 0x44, 0x44, "UV and AT set");
}

#[test]
fn the_user_picks_an_account_among_discoverable_credentials() {
    use harness::authenticator::ClientContext;
    let mut phone = device(AuthenticatorConfig::platform_passkey());
    let first = phone.create(&creation(1).to_string(), ORIGIN).unwrap();
    let second = phone.create(&creation(2).to_string(), ORIGIN).unwrap();
    let request = json!({"challenge": "AAEC", "rpId": "example.org"}).to_string();
    let got = phone.get(&request, ORIGIN).unwrap();
    assert_eq!(got["id"], first["id"], "no choice: the first account");
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut ctx = ClientContext::same_origin(ORIGIN);
    ctx.pick_credential = Some(b64.decode(second["id"].as_str().unwrap()).unwrap());
    let got = phone.get_in(&request, &ctx).unwrap();
    assert_eq!(got["id"], second["id"]);
    assert_eq!(got["response"]["userHandle"], base64_user(2));
    ctx.pick_credential = Some(vec![0; 16]);
    let err = phone.get_in(&request, &ctx).unwrap_err();
    assert_eq!(err.name, ErrorName::NotAllowedError);
    assert!(err.reason.contains("picked credential"), "{err}");
}
