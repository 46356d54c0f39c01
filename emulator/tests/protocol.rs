//! Bad input on the wire: every malformed request gets the AWS JSON error format, changes no
//! state, is journalled, and leaves the server up.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use common::{POOL, start};
use serde_json::{Value, json};

async fn call(url: &str, target: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{url}/"))
        .header("content-type", "application/x-amz-json-1.1")
        .body(body);
    if let Some(t) = target {
        req = req.header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{t}"),
        );
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
    )
}

#[tokio::test]
async fn malformed_requests_get_aws_errors_and_change_nothing() {
    let emu = start().await;
    let url = emu.url();
    let create = |email: &str| {
        json!({"UserPoolId": POOL, "Username": email})
            .to_string()
            .into_bytes()
    };
    // (case, target, body, expected status, expected __type)
    type Case = (
        &'static str,
        Option<&'static str>,
        Vec<u8>,
        u16,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        ("unknown operation", Some("MakeCoffee"), b"{}".to_vec(), 400, "UnknownOperationException"),
        ("no target", None, b"{}".to_vec(), 400, "UnknownOperationException"),
        ("malformed JSON", Some("AdminCreateUser"), b"{\"UserPoolId\": ".to_vec(), 400, "SerializationException"),
        ("invalid UTF-8", Some("AdminCreateUser"), vec![b'{', 0xff, 0xfe, b'}'], 400, "SerializationException"),
        ("not an object", Some("AdminCreateUser"), b"[1,2]".to_vec(), 400, "SerializationException"),
        ("wrong type", Some("AdminCreateUser"), json!({"UserPoolId": POOL, "Username": 42}).to_string().into_bytes(), 400, "SerializationException"),
        ("missing member", Some("AdminCreateUser"), json!({"UserPoolId": POOL}).to_string().into_bytes(), 400, "InvalidParameterException"),
        ("oversized body", Some("AdminCreateUser"), vec![b' '; 2 << 20], 413, "SerializationException"),
        ("unknown attribute", Some("AdminCreateUser"),
            json!({"UserPoolId": POOL, "Username": "x@example.com", "UserAttributes": [{"Name": "favourite_colour", "Value": "red"}]}).to_string().into_bytes(),
            400, "InvalidParameterException"),
        ("filter over 256", Some("ListUsers"), json!({"UserPoolId": POOL, "Filter": format!("email = \"{}\"", "a".repeat(300))}).to_string().into_bytes(), 400, "InvalidParameterException"),
        ("unknown pool", Some("AdminCreateUser"), json!({"UserPoolId": "us-east-1_nope", "Username": "x@example.com"}).to_string().into_bytes(), 400, "ResourceNotFoundException"),
        ("forged negative page token", Some("AdminListGroupsForUser"),
            json!({"UserPoolId": POOL, "Username": "x@example.com", "NextToken": "YWZ0ZXI6LTE"}).to_string().into_bytes(),
            400, "InvalidParameterException"),
    ];
    for (case, target, body, status, exception) in cases {
        let (got_status, body) = call(url, target, body).await;
        assert_eq!(
            (got_status, body["__type"].as_str()),
            (status, Some(exception)),
            "{case}: {body}"
        );
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{case}: message present"
        );
    }
    let (status, body) = call(
        url,
        Some("ListUsers"),
        json!({"UserPoolId": POOL}).to_string().into_bytes(),
    )
    .await;
    assert_eq!(
        (status, body["Users"].as_array().map(Vec::len)),
        (200, Some(0)),
        "no user was created by a rejected call"
    );
    let journal: Value = reqwest::get(format!("{url}/_emulator/journal?kind=rejected"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        journal["events"].as_array().unwrap().len(),
        12,
        "every rejection is journalled"
    );
    let (status, _) = call(url, Some("AdminCreateUser"), create("ok@example.com")).await;
    assert_eq!(status, 200, "the server is still up");
}

#[tokio::test]
async fn every_call_has_a_request_id_that_finds_it_in_the_journal() {
    let emu = start().await;
    let resp = reqwest::Client::new()
        .post(format!("{}/", emu.url()))
        .header(
            "x-amz-target",
            "AWSCognitoIdentityProviderService.DescribeUserPool",
        )
        .body(json!({"UserPoolId": POOL}).to_string())
        .send()
        .await
        .unwrap();
    let id = resp.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_owned();
    let journal: Value = reqwest::get(format!("{}/_emulator/journal?flow={id}", emu.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = journal["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{journal}");
    assert_eq!(
        (events[0]["name"].as_str(), events[0]["kind"].as_str()),
        (Some("DescribeUserPool"), Some("api_call"))
    );
}

#[tokio::test]
async fn sigv4_headers_are_accepted_whatever_the_credentials() {
    let emu = start().await;
    let resp = reqwest::Client::new()
        .post(format!("{}/", emu.url()))
        .header("x-amz-target", "AWSCognitoIdentityProviderService.ListUserPools")
        .header("content-type", "application/x-amz-json-1.1")
        .header("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=deadbeef")
        .header("x-amz-date", "20261123T000000Z")
        .body(r#"{"MaxResults": 10}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn control_plane_reset_restores_the_config() {
    let emu = start().await;
    common::confirmed_user(&emu.sdk, "gone@example.com", "Passw0rd!").await;
    let client = reqwest::Client::new();
    let health: Value = client
        .get(format!("{}/_emulator/health", emu.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let r = client
        .post(format!("{}/_emulator/reset", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let users = emu
        .sdk
        .list_users()
        .user_pool_id(POOL)
        .send()
        .await
        .unwrap();
    assert!(users.users().is_empty());
    let idp = emu
        .sdk
        .describe_identity_provider()
        .user_pool_id(POOL)
        .provider_name("Mosaic")
        .send()
        .await
        .unwrap();
    assert!(
        idp.identity_provider().is_some(),
        "the configured provider is back after reset"
    );
}
