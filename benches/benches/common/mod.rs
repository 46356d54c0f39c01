//! What the sign-in benches share (`signin.rs`, `flows.rs`): raw AWS JSON 1.1 calls, native
//! users with a password, the client's half of SRP, and a pool that accepts passkeys.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use emulator::cognito::signin::srp::{self, Group};
use harness::authenticator::VirtualAuthenticator;
use num_bigint::BigUint;
use serde_json::{Value, json};

/// The default config's pool and app client (`fixtures/emulator.toml`).
pub const POOL: &str = "us-east-1_Mosaic001";
pub const CLIENT: &str = "1example23456789abcdefghij";
pub const PASSWORD: &str = "Passw0rd!";
/// The origin the app's pages run on, under the pool's relying party (`localhost`).
pub const APP_ORIGIN: &str = "http://localhost:3000";

/// One AWS JSON 1.1 operation; anything but 200 panics with the operation's name.
pub async fn call(client: &reqwest::Client, url: &str, op: &str, body: Value) -> Value {
    let resp = client
        .post(format!("{url}/"))
        .header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{op}"),
        )
        .header("content-type", "application/x-amz-json-1.1")
        .body(body.to_string())
        .send()
        .await
        .expect(op);
    assert_eq!(resp.status(), 200, "{op}");
    serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json")
}

/// A confirmed native user `email` with the permanent password [`PASSWORD`] (which also makes
/// its SRP verifier).
pub async fn create_user(client: &reqwest::Client, url: &str, email: &str) {
    let create = json!({"UserPoolId": POOL, "Username": email, "MessageAction": "SUPPRESS",
        "UserAttributes": [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]});
    call(client, url, "AdminCreateUser", create).await;
    let set =
        json!({"UserPoolId": POOL, "Username": email, "Password": PASSWORD, "Permanent": true});
    call(client, url, "AdminSetUserPassword", set).await;
}

/// The client's half of SRP for a PASSWORD_VERIFIER challenge: the four ChallengeResponses.
/// `client_session_key` computes `g^a`, `g^x` and `(B - k g^x)^(a + u x)`.
pub fn prove(a: &BigUint, p: &Value) -> Value {
    let group = Group::default();
    let hex = |k: &str| BigUint::parse_bytes(p[k].as_str().unwrap().as_bytes(), 16).unwrap();
    let user_id = p["USER_ID_FOR_SRP"].as_str().unwrap();
    let name = srp::pool_name(POOL);
    let key = group
        .client_session_key(a, &hex("SRP_B"), &hex("SALT"), name, user_id, PASSWORD)
        .unwrap();
    let block = p["SECRET_BLOCK"].as_str().unwrap();
    let ts = srp::timestamp(1_800_000_000);
    let sig = srp::claim_signature(&key, name, user_id, &B64.decode(block).unwrap(), &ts);
    json!({
        "USERNAME": user_id, "PASSWORD_CLAIM_SECRET_BLOCK": block, "TIMESTAMP": ts,
        "PASSWORD_CLAIM_SIGNATURE": B64.encode(sig.as_ref()),
    })
}

/// The pool allows WEB_AUTHN as a first factor and the app client USER_AUTH. (The client
/// update replaces its OAuth settings: use an emulator of its own for the federated flows.)
pub async fn allow_passkeys(client: &reqwest::Client, url: &str) {
    let policy = json!({"UserPoolId": POOL, "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}}});
    call(client, url, "UpdateUserPool", policy).await;
    let flows = json!({"UserPoolId": POOL, "ClientId": CLIENT, "CallbackURLs": ["http://localhost:3000/callback"],
        "ExplicitAuthFlows": ["ALLOW_USER_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]});
    call(client, url, "UpdateUserPoolClient", flows).await;
}

/// `user` signs in with the password and registers a passkey on `device`.
pub async fn register_passkey(
    client: &reqwest::Client,
    url: &str,
    user: &str,
    device: &mut VirtualAuthenticator,
) {
    let body = json!({"ClientId": CLIENT, "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": user, "PASSWORD": PASSWORD}});
    let t = call(client, url, "InitiateAuth", body).await;
    let access = t["AuthenticationResult"]["AccessToken"].clone();
    let start = json!({"AccessToken": access});
    let start = call(client, url, "StartWebAuthnRegistration", start).await;
    let options = start["CredentialCreationOptions"].to_string();
    let credential = device.create(&options, APP_ORIGIN).expect("create");
    let done = json!({"AccessToken": access, "Credential": credential});
    call(client, url, "CompleteWebAuthnRegistration", done).await;
}

/// USER_AUTH with the preferred WEB_AUTHN challenge: InitiateAuth, the device's assertion,
/// RespondToAuthChallenge. Returns the AuthenticationResult.
pub async fn passkey_sign_in(
    client: &reqwest::Client,
    url: &str,
    user: &str,
    device: &mut VirtualAuthenticator,
) -> Value {
    let initiate = json!({"ClientId": CLIENT, "AuthFlow": "USER_AUTH",
        "AuthParameters": {"USERNAME": user, "PREFERRED_CHALLENGE": "WEB_AUTHN"}});
    let c = call(client, url, "InitiateAuth", initiate).await;
    let options = c["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"]
        .as_str()
        .unwrap();
    let assertion = device.get(options, APP_ORIGIN).expect("get");
    let body = json!({"ClientId": CLIENT, "ChallengeName": "WEB_AUTHN", "Session": c["Session"],
        "ChallengeResponses": {"USERNAME": user, "CREDENTIAL": assertion.to_string()}});
    let done = call(client, url, "RespondToAuthChallenge", body).await;
    done["AuthenticationResult"].clone()
}

/// USER_SRP_AUTH as the client libraries do it, with the client's secret `a`: InitiateAuth
/// with `A = g^a`, the client's proof, RespondToAuthChallenge. Returns the
/// AuthenticationResult.
pub async fn srp_sign_in(client: &reqwest::Client, url: &str, user: &str, a: &BigUint) -> Value {
    let big_a = Group::default().public_a(a).to_str_radix(16);
    srp_sign_in_with(client, url, user, a, &big_a).await
}

/// The same with `A` computed beforehand.
pub async fn srp_sign_in_with(
    client: &reqwest::Client,
    url: &str,
    user: &str,
    a: &BigUint,
    big_a: &str,
) -> Value {
    let body = json!({"ClientId": CLIENT, "AuthFlow": "USER_SRP_AUTH",
        "AuthParameters": {"USERNAME": user, "SRP_A": big_a}});
    let c = call(client, url, "InitiateAuth", body).await;
    let responses = prove(a, &c["ChallengeParameters"]);
    let body = json!({"ClientId": CLIENT, "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeResponses": responses});
    let done = call(client, url, "RespondToAuthChallenge", body).await;
    done["AuthenticationResult"].clone()
}
