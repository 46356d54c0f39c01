//! Pools, domains, app clients, identity providers and resource servers through the AWS SDK.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, IdentityProviderTypeType, ResourceServerScopeType, SchemaAttributeType,
    UsernameAttributeType,
};
use common::{code, message, start};
use std::collections::HashMap;

fn oidc_details(issuer: &str) -> HashMap<String, String> {
    [
        ("client_id", "cid"),
        ("client_secret", "secret"),
        ("authorize_scopes", "openid email"),
        ("attributes_request_method", "GET"),
        ("oidc_issuer", issuer),
        ("authorize_url", "http://idp.localhost:9230/cis/oidc/auth"),
        ("token_url", "http://idp.localhost:9230/cis/oidc/token"),
        ("attributes_url", "http://idp.localhost:9230/cis/oidc/me"),
        ("jwks_uri", "http://idp.localhost:9230/cis/oidc/jwks"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[tokio::test]
async fn pool_lifecycle_with_schema_and_domain() {
    let emu = start().await;
    let sdk = &emu.sdk;
    let created = sdk
        .create_user_pool()
        .pool_name("orders")
        .username_attributes(UsernameAttributeType::Email)
        .schema(
            SchemaAttributeType::builder()
                .name("tier")
                .attribute_data_type(AttributeDataType::String)
                .mutable(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let pool = created.user_pool().unwrap();
    let id = pool.id().unwrap().to_owned();
    assert!(
        id.starts_with("us-east-1_") && id.len() == "us-east-1_".len() + 9,
        "{id}"
    );
    assert!(
        pool.schema_attributes()
            .iter()
            .any(|a| a.name() == Some("custom:tier"))
    );
    assert!(
        pool.schema_attributes()
            .iter()
            .any(|a| a.name() == Some("email"))
    );

    let described = sdk
        .describe_user_pool()
        .user_pool_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(described.user_pool().unwrap().name(), Some("orders"));
    assert_eq!(
        described.user_pool().unwrap().estimated_number_of_users(),
        0
    );

    let listed = sdk.list_user_pools().max_results(60).send().await.unwrap();
    let names: Vec<_> = listed
        .user_pools()
        .iter()
        .filter_map(|p| p.name())
        .collect();
    assert!(
        names.contains(&"orders") && names.contains(&"mosaic-demo"),
        "{names:?}"
    );

    sdk.create_user_pool_domain()
        .domain("orders-auth")
        .user_pool_id(&id)
        .send()
        .await
        .unwrap();
    let d = sdk
        .describe_user_pool_domain()
        .domain("orders-auth")
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.domain_description().unwrap().user_pool_id(),
        Some(id.as_str())
    );
    let err = sdk
        .create_user_pool_domain()
        .domain("orders-auth")
        .user_pool_id(common::POOL)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    sdk.delete_user_pool_domain()
        .domain("orders-auth")
        .user_pool_id(&id)
        .send()
        .await
        .unwrap();

    sdk.update_user_pool()
        .user_pool_id(&id)
        .auto_verified_attributes("email".into())
        .send()
        .await
        .unwrap();
    sdk.delete_user_pool()
        .user_pool_id(&id)
        .send()
        .await
        .unwrap();
    let err = sdk
        .describe_user_pool()
        .user_pool_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(message(&err), format!("User pool {id} does not exist."));
}

#[tokio::test]
async fn pool_validation_errors() {
    let emu = start().await;
    let err = emu
        .sdk
        .create_user_pool()
        .pool_name("both")
        .username_attributes(UsernameAttributeType::Email)
        .alias_attributes("email".into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    assert!(message(&err).contains("Only one of the aliasAttributes or usernameAttributes"));
    let err = emu
        .sdk
        .create_user_pool()
        .pool_name("bad/name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
}

#[tokio::test]
async fn app_client_lifecycle_and_rules() {
    let emu = start().await;
    let sdk = &emu.sdk;
    let c = sdk
        .create_user_pool_client()
        .user_pool_id(common::POOL)
        .client_name("backend")
        .generate_secret(true)
        .allowed_o_auth_flows("code".into())
        .allowed_o_auth_scopes("openid")
        .callback_urls("https://app.example.com/cb")
        .supported_identity_providers("Mosaic")
        .send()
        .await
        .unwrap();
    let client = c.user_pool_client().unwrap();
    let id = client.client_id().unwrap().to_owned();
    assert_eq!(id.len(), 26);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    assert!(client.client_secret().is_some());

    let d = sdk
        .describe_user_pool_client()
        .user_pool_id(common::POOL)
        .client_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.user_pool_client().unwrap().callback_urls(),
        ["https://app.example.com/cb"]
    );
    let listed = sdk
        .list_user_pool_clients()
        .user_pool_id(common::POOL)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.user_pool_clients().len(), 2);
    sdk.update_user_pool_client()
        .user_pool_id(common::POOL)
        .client_id(&id)
        .client_name("renamed")
        .send()
        .await
        .unwrap();
    let d = sdk
        .describe_user_pool_client()
        .user_pool_id(common::POOL)
        .client_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(d.user_pool_client().unwrap().client_name(), Some("renamed"));
    assert!(
        d.user_pool_client().unwrap().callback_urls().is_empty(),
        "update replaces settings"
    );

    for (case, builder) in [
        (
            "unknown idp",
            sdk.create_user_pool_client()
                .user_pool_id(common::POOL)
                .client_name("x")
                .supported_identity_providers("Nope"),
        ),
        (
            "http callback",
            sdk.create_user_pool_client()
                .user_pool_id(common::POOL)
                .client_name("x")
                .callback_urls("http://example.com/cb"),
        ),
        (
            "client_credentials without secret",
            sdk.create_user_pool_client()
                .user_pool_id(common::POOL)
                .client_name("x")
                .allowed_o_auth_flows("client_credentials".into()),
        ),
    ] {
        let err = builder.send().await.unwrap_err();
        assert_eq!(
            code(&err),
            "InvalidParameterException",
            "{case}: {}",
            message(&err)
        );
    }
    let err = sdk
        .create_user_pool_client()
        .user_pool_id(common::POOL)
        .client_name("x")
        .allowed_o_auth_scopes("api/read")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ScopeDoesNotExistException");

    sdk.delete_user_pool_client()
        .user_pool_id(common::POOL)
        .client_id(&id)
        .send()
        .await
        .unwrap();
    let err = sdk
        .describe_user_pool_client()
        .user_pool_id(common::POOL)
        .client_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
}

#[tokio::test]
async fn identity_providers_and_resource_servers() {
    let emu = start().await;
    let sdk = &emu.sdk;
    let idp = sdk
        .describe_identity_provider()
        .user_pool_id(common::POOL)
        .provider_name("Mosaic")
        .send()
        .await
        .unwrap();
    let idp = idp.identity_provider().unwrap();
    let details = idp.provider_details().unwrap();
    assert_eq!(details["oidc_issuer"], "https://userid.security");
    assert_eq!(details["attributes_request_method"], "GET");
    assert_eq!(details["attributes_url_add_attributes"], "false");
    assert_eq!(idp.attribute_mapping().unwrap()["email"], "email");

    sdk.create_identity_provider()
        .user_pool_id(common::POOL)
        .provider_name("Corp")
        .provider_type(IdentityProviderTypeType::Oidc)
        .set_provider_details(Some(oidc_details("https://corp.example")))
        .idp_identifiers("corp.example")
        .send()
        .await
        .unwrap();
    let by_id = sdk
        .get_identity_provider_by_identifier()
        .user_pool_id(common::POOL)
        .idp_identifier("corp.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_id.identity_provider().unwrap().provider_name(),
        Some("Corp")
    );
    let listed = sdk
        .list_identity_providers()
        .user_pool_id(common::POOL)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.providers().len(), 2);

    let err = sdk
        .create_identity_provider()
        .user_pool_id(common::POOL)
        .provider_name("Corp")
        .provider_type(IdentityProviderTypeType::Oidc)
        .set_provider_details(Some(oidc_details("https://corp.example")))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DuplicateProviderException");
    let mut missing = oidc_details("https://x.example");
    missing.remove("oidc_issuer");
    let err = sdk
        .create_identity_provider()
        .user_pool_id(common::POOL)
        .provider_name("Broken")
        .provider_type(IdentityProviderTypeType::Oidc)
        .set_provider_details(Some(missing))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    assert!(message(&err).contains("oidc_issuer"), "{}", message(&err));

    let mut changed = HashMap::new();
    changed.insert("attributes_request_method".to_owned(), "POST".to_owned());
    sdk.update_identity_provider()
        .user_pool_id(common::POOL)
        .provider_name("Corp")
        .set_provider_details(Some(changed))
        .send()
        .await
        .unwrap();
    let d = sdk
        .describe_identity_provider()
        .user_pool_id(common::POOL)
        .provider_name("Corp")
        .send()
        .await
        .unwrap();
    let details = d.identity_provider().unwrap().provider_details().unwrap();
    assert_eq!(
        (
            details["attributes_request_method"].as_str(),
            details["client_id"].as_str()
        ),
        ("POST", "cid")
    );
    sdk.delete_identity_provider()
        .user_pool_id(common::POOL)
        .provider_name("Corp")
        .send()
        .await
        .unwrap();
    let err = sdk
        .describe_identity_provider()
        .user_pool_id(common::POOL)
        .provider_name("Corp")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");

    let scope = ResourceServerScopeType::builder()
        .scope_name("read")
        .scope_description("Read")
        .build()
        .unwrap();
    sdk.create_resource_server()
        .user_pool_id(common::POOL)
        .identifier("https://api.example")
        .name("api")
        .scopes(scope)
        .send()
        .await
        .unwrap();
    let rs = sdk
        .describe_resource_server()
        .user_pool_id(common::POOL)
        .identifier("https://api.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        rs.resource_server().unwrap().scopes()[0].scope_name(),
        "read"
    );
    sdk.create_user_pool_client()
        .user_pool_id(common::POOL)
        .client_name("m2m")
        .generate_secret(true)
        .allowed_o_auth_flows("client_credentials".into())
        .allowed_o_auth_scopes("https://api.example/read")
        .send()
        .await
        .unwrap();
}
